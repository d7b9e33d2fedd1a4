"""Tuning the verdict rule's thresholds on half of the claim cases, and measuring the result
on the other half.

The claim cases (``evaluation/data/claims.jsonl``) are split by a fixed seed into a tuning
half and a test half, stratified by gold verdict. Each claim is checked once, with evidence
retrieved down to the lowest similarity floor of the grid; every grid point is then a pure
re-aggregation of that evidence (:func:`service.verdicts.aggregate_verdict`): a floor keeps
the evidence at or above it, exactly what a check with that ``min_similarity`` retrieves
(the top-k nearest sentences, then the floor). So a grid costs one NLI pass, not one per
point. The best point on the tuning half (verdict accuracy, then macro-F1, then the point
nearest the current settings) is reported with its accuracy on both halves, next to the
current settings' accuracy on both: the test half says whether the change generalises.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from evaluation.datasets import VERDICTS, ClaimExample
from models.metrics import label_metrics
from service.verdicts import Evidence, Verdict, aggregate_verdict

#: The seed of the tuning / test split the project reports.
DEFAULT_SPLIT_SEED = 13

#: Decision thresholds tried (probabilities).
DEFAULT_DECISION_THRESHOLDS: tuple[float, ...] = tuple(
    round(0.30 + 0.05 * i, 2) for i in range(14)
)  # 0.30 .. 0.95

#: Similarity floors tried (cosine similarities).
DEFAULT_MIN_SIMILARITIES: tuple[float, ...] = tuple(
    round(0.25 + 0.05 * i, 2) for i in range(8)
)  # 0.25 .. 0.60

#: ``check(claim, min_similarity) -> Verdict``, e.g. ``CheckService.check(...).verdict``.
CheckWithFloor = Callable[[str, float], Verdict]


@dataclass(frozen=True)
class CheckedCase:
    """A claim case and the evidence retrieved for it, scored (down to the lowest floor)."""

    case: ClaimExample
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class GridPoint:
    """Thresholds and the verdict accuracy and macro-F1 they give on a set of cases."""

    decision_threshold: float
    min_similarity: float
    accuracy: float
    macro_f1: float


def split_cases(
    cases: Sequence[ClaimExample], seed: int = DEFAULT_SPLIT_SEED
) -> tuple[list[ClaimExample], list[ClaimExample]]:
    """The tuning half and the test half, by a fixed seed, stratified by gold verdict: each
    verdict's cases (in id order) are shuffled and dealt out, an odd one going to the half
    that is smaller so far. The same cases and seed always give the same halves.
    """
    rng = random.Random(seed)
    tuning: list[ClaimExample] = []
    test: list[ClaimExample] = []
    for verdict in VERDICTS:
        group = sorted((c for c in cases if c.verdict == verdict), key=lambda c: c.id)
        rng.shuffle(group)
        half = len(group) // 2
        if len(group) % 2:
            half += 1 if len(tuning) <= len(test) else 0
        tuning += group[:half]
        test += group[half:]
    return sorted(tuning, key=lambda c: c.id), sorted(test, key=lambda c: c.id)


def check_cases(
    check: CheckWithFloor, cases: Sequence[ClaimExample], lowest_floor: float
) -> list[CheckedCase]:
    """Check every claim once, retrieving evidence down to ``lowest_floor``."""
    return [CheckedCase(case, tuple(check(case.claim, lowest_floor).evidence)) for case in cases]


def verdicts_at(
    checked: Sequence[CheckedCase], decision_threshold: float, min_similarity: float
) -> list[str]:
    """The verdict each claim gets with these thresholds (no model call)."""
    return [
        aggregate_verdict(
            c.case.claim,
            [e for e in c.evidence if e.similarity >= min_similarity],
            decision_threshold=decision_threshold,
        ).verdict
        for c in checked
    ]


def measure(
    checked: Sequence[CheckedCase], decision_threshold: float, min_similarity: float
) -> GridPoint:
    """Verdict accuracy and macro-F1 of these thresholds on ``checked``."""
    if not checked:
        raise ValueError("no cases to measure")
    predicted = verdicts_at(checked, decision_threshold, min_similarity)
    gold = [VERDICTS.index(c.case.verdict) for c in checked]
    scores = label_metrics(gold, [VERDICTS.index(v) for v in predicted], VERDICTS)
    return GridPoint(decision_threshold, min_similarity, scores["accuracy"], scores["macro_f1"])


def grid_search(
    checked: Sequence[CheckedCase],
    decision_thresholds: Sequence[float],
    min_similarities: Sequence[float],
    *,
    current: tuple[float, float],
) -> list[GridPoint]:
    """Every grid point measured on ``checked``, best first: higher accuracy, then higher
    macro-F1, then nearer ``current`` (decision threshold, floor), then lower thresholds."""
    points = [measure(checked, t, s) for t in decision_thresholds for s in min_similarities]

    def rank(p: GridPoint) -> tuple[float, ...]:
        distance = abs(p.decision_threshold - current[0]) + abs(p.min_similarity - current[1])
        return (-p.accuracy, -p.macro_f1, round(distance, 6), p.decision_threshold)

    return sorted(points, key=rank)


def tune_verdicts(
    check: CheckWithFloor,
    cases: Sequence[ClaimExample],
    *,
    current_decision_threshold: float,
    current_min_similarity: float,
    seed: int = DEFAULT_SPLIT_SEED,
    decision_thresholds: Sequence[float] = DEFAULT_DECISION_THRESHOLDS,
    min_similarities: Sequence[float] | None = DEFAULT_MIN_SIMILARITIES,
    top: int = 5,
) -> dict[str, Any]:
    """Split the cases, grid-search the thresholds on the tuning half, measure both halves.

    :param check: checks a claim with a similarity floor (one NLI pass per claim).
    :param min_similarities: floors to try; ``None`` tunes the decision threshold alone
        (at the current floor). The current values are always part of the grid.
    :returns: a JSON-ready report: the split (ids per half), the grid, the current
        settings and the best point on the tuning half, each with ``accuracy`` and
        ``macro_f1`` on both halves, and the ``top`` grid points on the tuning half.
    :raises ValueError: fewer than two cases, or a half without cases.
    """
    if len(cases) < 2:
        raise ValueError(f"need at least two claim cases to split, got {len(cases)}")
    tuning, test = split_cases(cases, seed)
    thresholds = sorted({*decision_thresholds, current_decision_threshold})
    floors = sorted({*(min_similarities or ()), current_min_similarity})
    checked = {c.case.id: c for c in check_cases(check, [*tuning, *test], floors[0])}
    halves = {
        "tuning": [checked[c.id] for c in tuning],
        "test": [checked[c.id] for c in test],
    }
    current = (current_decision_threshold, current_min_similarity)
    ranked = grid_search(halves["tuning"], thresholds, floors, current=current)
    best = ranked[0]

    def on_both(decision_threshold: float, min_similarity: float) -> dict[str, Any]:
        out: dict[str, Any] = {
            "decision_threshold": decision_threshold,
            "min_similarity": min_similarity,
        }
        for name, part in halves.items():
            point = measure(part, decision_threshold, min_similarity)
            out[name] = {"accuracy": point.accuracy, "macro_f1": point.macro_f1}
        return out

    return {
        "split_seed": seed,
        "cases": len(cases),
        "split": {name: [c.case.id for c in part] for name, part in halves.items()},
        "grid": {
            "decision_threshold": thresholds,
            "min_similarity": floors,
            "points": len(thresholds) * len(floors),
        },
        "current": on_both(*current),
        "best": on_both(best.decision_threshold, best.min_similarity),
        "top_on_tuning": [
            {
                "decision_threshold": p.decision_threshold,
                "min_similarity": p.min_similarity,
                "accuracy": p.accuracy,
                "macro_f1": p.macro_f1,
            }
            for p in ranked[:top]
        ],
    }
