"""Batch evaluation against labelled data: NLI pairs, claim verdicts, a regression gate.

Call :func:`run_evaluation` (or :func:`evaluate_pairs` / :func:`evaluate_claims`) with any
score function ``pairs -> float array [n, 3]`` and claim checker ``claim -> verdict``;
``factcheck evaluate`` (:mod:`service.cli.evaluate`) wires in the service's NLI model and
checks; :mod:`evaluation.bench` measures speed. See README.md.
"""

from evaluation.datasets import (
    DatasetError,
    NliExample,
    PairDataset,
    read_claims,
    read_pairs,
)
from evaluation.gate import GateError, Regression, find_regressions, load_metrics
from evaluation.runner import (
    EvaluationError,
    EvaluationResult,
    evaluate_claims,
    evaluate_pairs,
    run_evaluation,
)

__all__ = [
    "DatasetError",
    "EvaluationError",
    "EvaluationResult",
    "GateError",
    "NliExample",
    "PairDataset",
    "Regression",
    "evaluate_claims",
    "evaluate_pairs",
    "find_regressions",
    "load_metrics",
    "read_claims",
    "read_pairs",
    "run_evaluation",
]
