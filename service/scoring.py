"""NLI pair scoring as the engine uses it: the scorer's contract, and scoring both
directions of a pair in one batch."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from models.labels import NLI_LABELS
from service.errors import Overloaded

#: (premise, hypothesis) pairs → float32 ``[n, 3]`` probabilities in NLI_LABELS order.
PairScorer = Callable[[Sequence[tuple[str, str]]], np.ndarray]


def probabilities(row: Sequence[float]) -> dict[str, float]:
    """One row of a scorer's output, keyed by label name."""
    return dict(zip(NLI_LABELS, map(float, row)))


def score_both_directions(scorer: PairScorer, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """Score each pair as (a, b) and (b, a) in one batch, identical pairs only once.

    :returns: float32 ``[len(pairs), 2, 3]``: direction a→b then b→a.
    """
    unique: dict[tuple[str, str], int] = {}
    for a, b in pairs:
        unique.setdefault((a, b), len(unique))
        unique.setdefault((b, a), len(unique))
    probs = scorer(list(unique)) if unique else np.zeros((0, len(NLI_LABELS)), np.float32)
    out = np.zeros((len(pairs), 2, len(NLI_LABELS)), dtype=np.float32)
    for i, (a, b) in enumerate(pairs):
        out[i, 0] = probs[unique[(a, b)]]
        out[i, 1] = probs[unique[(b, a)]]
    return out


class ScoringGate:
    """The bounded pool that NLI scoring runs in: at most ``workers`` batches at once, at
    most ``max_waiting`` requests queued behind them (one more gets :class:`Overloaded`, a
    503 with ``Retry-After``, instead of waiting without bound), none waiting longer than
    ``wait_timeout_s``. Background work (the corpus sweep) waits while any request does, so
    it only ever delays a request by one chunk.
    """

    def __init__(
        self, workers: int = 1, *, max_waiting: int = 8, wait_timeout_s: float = 30.0
    ) -> None:
        self.workers = max(1, workers)
        self.max_waiting = max_waiting
        self.wait_timeout_s = wait_timeout_s
        self._cond = threading.Condition()
        self._running = 0
        self._waiting = 0

    @property
    def waiting(self) -> int:
        return self._waiting

    @contextmanager
    def slot(self, *, background: bool = False) -> Iterator[None]:
        """Hold one of the pool's places while scoring a chunk.

        :raises Overloaded: the queue is full, or the wait exceeded ``wait_timeout_s``.
        """
        with self._cond:
            if background:
                while self._running >= self.workers or self._waiting:
                    self._cond.wait(1.0)
            else:
                if self._waiting >= self.max_waiting:
                    raise Overloaded(
                        f"the scoring queue is full ({self.max_waiting} requests waiting; "
                        "scoring_queue_size); try again shortly",
                        retry_after_s=max(1, round(self.wait_timeout_s / 10)),
                    )
                deadline = time.monotonic() + self.wait_timeout_s
                self._waiting += 1
                try:
                    while self._running >= self.workers:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            raise Overloaded(
                                f"waited {self.wait_timeout_s:g} s for the NLI model "
                                "(scoring_wait_s); try again shortly",
                                retry_after_s=max(1, round(self.wait_timeout_s / 10)),
                            )
                        self._cond.wait(left)
                finally:
                    self._waiting -= 1
            self._running += 1
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()
