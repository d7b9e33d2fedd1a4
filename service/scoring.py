"""NLI pair scoring as the engine uses it: the scorer's contract, and scoring both
directions of a pair in one batch."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from models.labels import NLI_LABELS

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
