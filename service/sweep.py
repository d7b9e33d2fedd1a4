"""Sweeper: runs the corpus-wide contradiction sweep in a background thread, so that no
request ever computes it.

``kick()`` (after an ingest, at start-up, on every ``GET /contradictions``) wakes the thread;
it sweeps the claims not swept yet, unit by unit (:meth:`FactChecker.sweep_batch`), each
unit recorded in the store, giving way to requests in the scoring pool. Requests read what
the store holds (:meth:`FactChecker.stored_contradictions`) and :meth:`state` says whether
the sweep is still running. Several processes (``--workers N``) over one store may sweep the
same unit twice; the results are the same rows, so nothing is counted twice.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from service.engine import FactChecker

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepState:
    """``running``: claims remain to be swept (``pending`` of ``claims``)."""

    running: bool
    pending: int
    claims: int


class Sweeper:
    def __init__(self, engine: FactChecker) -> None:
        self.engine = engine
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def kick(self) -> None:
        """Sweep whatever is new (starts the thread on first use)."""
        with self._lock:
            if self._stop.is_set():
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="contradiction-sweep", daemon=True
                )
                self._thread.start()
            self._idle.clear()
            self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(1.0)
            if self._stop.is_set():
                break
            if not self._wake.is_set():
                continue
            self._wake.clear()
            try:
                self.engine.refresh()
                started = time.monotonic()
                swept = self.engine.sweep(background=True, stop=self._stop)
                if swept:
                    logger.info(
                        "contradiction sweep: %d claims in %.1f s",
                        swept,
                        time.monotonic() - started,
                    )
            except Exception:  # the thread must outlive one failed unit; retried on next kick
                logger.exception("contradiction sweep failed")
            finally:
                if not self._wake.is_set():
                    self._idle.set()

    def wait(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the sweep to finish. :returns: whether it did."""
        return self._idle.wait(timeout_s) if timeout_s > 0 else self._idle.is_set()

    def state(self) -> SweepState:
        pending, claims = self.engine.store.sweep_progress()
        return SweepState(running=bool(pending), pending=pending, claims=claims)

    def close(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
