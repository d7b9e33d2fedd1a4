"""Score labelled data with any NLI score function or claim checker, and compute metrics.

The evaluators take plain callables, so the caller chooses what scores:

- a score function ``score_fn(pairs) -> probs``: ``pairs`` is a list of
  ``(premise, hypothesis)`` and ``probs`` a float array ``[len(pairs), 3]`` of
  probabilities in :data:`models.labels.NLI_LABELS` order, e.g. ``NliModel.predict_pairs`` or
  a cached wrapper around it;
- a claim checker ``check_fn(claim) -> verdict``: a verdict string (one of
  :data:`evaluation.datasets.VERDICTS`) or an object with a ``.verdict`` attribute, e.g.
  ``FactChecker.check``.

Each evaluator returns an :class:`EvaluationResult`; :func:`run_evaluation` combines them,
applies the regression gate and, given ``output_dir``, writes the report.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from evaluation.datasets import VERDICTS, ClaimExample, PairDataset
from evaluation.gate import DEFAULT_TOLERANCE, GateError, Regression, find_regressions
from evaluation.metrics import classification_metrics, label_metrics, reliability_bins
from evaluation.report import write_report
from models.labels import NLI_LABELS
from service.errors import FactcheckError

logger = logging.getLogger(__name__)

#: ``score_fn(pairs) -> float array [len(pairs), 3]`` in NLI_LABELS order.
ScoreFn = Callable[[Sequence[tuple[str, str]]], np.ndarray]

#: ``check_fn(claim) -> verdict string`` (or an object with ``.verdict``).
CheckFn = Callable[[str], Any]

#: Pairs handed to the score function per call (one progress-bar step).
DEFAULT_BATCH_SIZE = 64

#: The metric a run is summarised and gated by.
PRIMARY_METRIC = "macro_f1"

#: How far a row of probabilities may sum from 1 before the score function is refused.
_ROW_SUM_TOLERANCE = 1e-3


class EvaluationError(FactcheckError, RuntimeError):
    """A score function or claim checker returned something unusable."""


@dataclass(frozen=True)
class EvaluationResult:
    """Metrics (what ``metrics.json`` holds) and the misclassified items (``errors.jsonl``)."""

    metrics: dict[str, Any]
    errors: list[dict[str, Any]] = field(default_factory=list)
    regressions: list[Regression] = field(default_factory=list)


def evaluate_pairs(
    score_fn: ScoreFn,
    datasets: Sequence[PairDataset],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    show_progress_bar: bool = False,
) -> EvaluationResult:
    """Score every dataset's pairs and compute metrics, pooled and per dataset.

    :param score_fn: see the module docstring; called with at most ``batch_size`` pairs.
    :param datasets: at least one; names must be unique (``news_pairs``, ``sick-TEST``).
    :returns: metrics with ``n``, ``accuracy``, ``macro_f1``, ``per_class``, ``confusion``
        (rows gold, columns predicted, NLI_LABELS order), ``ece``, ``pairs_per_second``,
        ``primary_metric``, ``reliability`` (calibration bins) and the same per dataset
        under ``datasets``; errors are the misclassified pairs with their probabilities.
    :raises EvaluationError: the score function returned the wrong shape, a non-finite
        value or rows that are not probabilities.
    :raises ValueError: no datasets, a batch size below 1, or a repeated dataset name.
    """
    if not datasets:
        raise ValueError("evaluate_pairs needs at least one dataset")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    names = [dataset.name for dataset in datasets]
    if len(set(names)) != len(names):
        raise ValueError(f"dataset names must be unique, got {names}")

    total_batches = sum(-(-len(dataset) // batch_size) for dataset in datasets)
    per_dataset: dict[str, dict[str, Any]] = {}
    all_probs, all_gold, errors = [], [], []
    total_seconds = 0.0
    with tqdm(
        total=total_batches,
        desc="Scoring pairs",
        unit="batch",
        file=sys.stderr,
        disable=not show_progress_bar,
    ) as bar:
        for dataset in datasets:
            probs, seconds = _score_dataset(score_fn, dataset, batch_size, bar)
            gold = np.array([NLI_LABELS.index(ex.label) for ex in dataset.examples])
            section = classification_metrics(probs, gold, NLI_LABELS)
            section.update(
                path=str(dataset.path),
                format=dataset.format,
                pairs_per_second=_rate(len(dataset), seconds),
                seconds=seconds,
            )
            per_dataset[dataset.name] = section
            errors.extend(_pair_errors(dataset, probs))
            all_probs.append(probs)
            all_gold.append(gold)
            total_seconds += seconds
            logger.info(
                "%s: n=%d accuracy=%.4f macro_f1=%.4f",
                dataset.name,
                section["n"],
                section["accuracy"],
                section["macro_f1"],
            )

    probs, gold = np.concatenate(all_probs), np.concatenate(all_gold)
    metrics: dict[str, Any] = {"primary_metric": PRIMARY_METRIC, "labels": list(NLI_LABELS)}
    metrics.update(classification_metrics(probs, gold, NLI_LABELS))
    metrics.update(
        pairs_per_second=_rate(len(gold), total_seconds),
        seconds=total_seconds,
        reliability=reliability_bins(probs, gold),
        datasets=per_dataset,
    )
    return EvaluationResult(metrics, errors)


def evaluate_claims(
    check_fn: CheckFn,
    claims: Sequence[ClaimExample],
    *,
    show_progress_bar: bool = False,
) -> EvaluationResult:
    """Check each claim and compare the verdict with the gold one.

    :returns: metrics ``n``, ``accuracy``, ``macro_f1``, ``per_class`` and ``confusion``
        (rows gold, columns predicted, :data:`VERDICTS` order), ``claims_per_second``;
        errors are the claims given the wrong verdict.
    :raises EvaluationError: the checker returned something that is not a verdict.
    :raises ValueError: no claims.
    """
    if not claims:
        raise ValueError("evaluate_claims needs at least one claim")
    predicted: list[int] = []
    errors: list[dict[str, Any]] = []
    start = time.perf_counter()
    for claim in tqdm(
        claims, desc="Checking claims", unit="claim", file=sys.stderr, disable=not show_progress_bar
    ):
        verdict = _verdict(check_fn(claim.claim), claim)
        predicted.append(VERDICTS.index(verdict))
        if verdict != claim.verdict:
            errors.append(
                {
                    "dataset": "claims",
                    "id": claim.id,
                    "line": claim.line,
                    "claim": claim.claim,
                    "gold": claim.verdict,
                    "predicted": verdict,
                    "evidence_article": claim.evidence_article,
                }
            )
    seconds = time.perf_counter() - start
    gold = [VERDICTS.index(claim.verdict) for claim in claims]
    metrics = {"labels": list(VERDICTS)}
    metrics.update(label_metrics(gold, predicted, VERDICTS))
    metrics.update(claims_per_second=_rate(len(claims), seconds), seconds=seconds)
    return EvaluationResult(metrics, errors)


def run_evaluation(
    score_fn: ScoreFn,
    datasets: Sequence[PairDataset],
    *,
    check_fn: CheckFn | None = None,
    claims: Sequence[ClaimExample] | None = None,
    baseline: Mapping[str, Any] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    output_dir: str | Path | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    show_progress_bar: bool = False,
    run_info: Mapping[str, Any] | None = None,
) -> EvaluationResult:
    """Evaluate pairs (and claims, given both ``check_fn`` and ``claims``), gate against
    ``baseline``, and write the report to ``output_dir`` when one is given.

    :param baseline: a previous run's metrics (:func:`evaluation.gate.load_metrics`).
    :param run_info: extra keys stored at the top of the metrics (model name, arguments).
    :returns: the combined result; ``metrics["gate"]`` and ``regressions`` hold the gate's
        findings (empty when it passed or no baseline was given).
    :raises GateError: the baseline shares no comparable section with this run (raised
        after the report is written, so that tonight's run can be tomorrow's baseline).
    """
    pairs_result = evaluate_pairs(
        score_fn, datasets, batch_size=batch_size, show_progress_bar=show_progress_bar
    )
    metrics = dict(pairs_result.metrics)
    errors = list(pairs_result.errors)
    if check_fn is not None and claims:
        claims_result = evaluate_claims(check_fn, claims, show_progress_bar=show_progress_bar)
        metrics["claims"] = claims_result.metrics
        errors.extend(claims_result.errors)
    metrics["created_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if run_info:
        metrics["run"] = dict(run_info)

    regressions: list[Regression] = []
    gate_error: GateError | None = None
    if baseline is not None:
        try:
            regressions = find_regressions(baseline, metrics, tolerance)
        except GateError as exc:
            gate_error = exc
        metrics["gate"] = {
            "tolerance": tolerance,
            "passed": not regressions and gate_error is None,
            "error": str(gate_error) if gate_error else None,
            "regressions": [
                {"metric": r.metric, "baseline": r.baseline, "current": r.current}
                for r in regressions
            ],
        }
    if output_dir is not None:
        write_report(output_dir, metrics, errors)
    if gate_error is not None:
        raise gate_error
    return EvaluationResult(metrics, errors, regressions)


def _score_dataset(
    score_fn: ScoreFn, dataset: PairDataset, batch_size: int, bar: tqdm
) -> tuple[np.ndarray, float]:
    pairs = dataset.pairs()
    chunks: list[np.ndarray] = []
    seconds = 0.0
    for start in range(0, len(pairs), batch_size):
        batch = pairs[start : start + batch_size]
        began = time.perf_counter()
        raw = score_fn(batch)
        seconds += time.perf_counter() - began
        chunks.append(_check_probs(raw, len(batch), dataset.name, start))
        bar.update(1)
    return np.concatenate(chunks), seconds


def _check_probs(raw: Any, expected_rows: int, name: str, start: int) -> np.ndarray:
    where = f"{name}, pairs {start}..{start + expected_rows - 1}"
    try:
        probs = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise EvaluationError(
            f"score function returned non-numeric output ({where}): {exc}"
        ) from None
    if probs.shape != (expected_rows, len(NLI_LABELS)):
        raise EvaluationError(
            f"score function returned shape {probs.shape}, expected "
            f"({expected_rows}, {len(NLI_LABELS)}) ({where})"
        )
    if not np.isfinite(probs).all():
        raise EvaluationError(f"score function returned NaN or infinite values ({where})")
    if (probs < 0).any() or (np.abs(probs.sum(axis=1) - 1.0) > _ROW_SUM_TOLERANCE).any():
        raise EvaluationError(
            f"score function must return probabilities (rows >= 0 summing to 1), not logits "
            f"({where})"
        )
    return probs


def _pair_errors(dataset: PairDataset, probs: np.ndarray) -> list[dict[str, Any]]:
    errors = []
    for example, row in zip(dataset.examples, probs):
        predicted = NLI_LABELS[int(row.argmax())]
        if predicted != example.label:
            errors.append(
                {
                    "dataset": dataset.name,
                    "id": example.id,
                    "line": example.line,
                    "premise": example.premise,
                    "hypothesis": example.hypothesis,
                    "gold": example.label,
                    "predicted": predicted,
                    "probabilities": {
                        label: round(float(p), 6) for label, p in zip(NLI_LABELS, row)
                    },
                }
            )
    return errors


def _verdict(raw: Any, claim: ClaimExample) -> str:
    value = getattr(raw, "verdict", raw)
    value = getattr(value, "value", value)  # an Enum verdict
    verdict = value.strip().lower() if isinstance(value, str) else None
    if verdict not in VERDICTS:
        raise EvaluationError(
            f"claim checker returned {raw!r} for claim {claim.id}; expected one of "
            f"{', '.join(VERDICTS)}"
        )
    return verdict


def _rate(count: int, seconds: float) -> float:
    return float(count / seconds) if seconds > 0 else 0.0
