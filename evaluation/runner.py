"""Score labelled data with any NLI score function or claim checker, and compute metrics.

The evaluators take plain callables, so the caller chooses what scores:

- a score function ``score_fn(pairs) -> probs``: ``pairs`` is a list of
  ``(premise, hypothesis)`` and ``probs`` a float array ``[len(pairs), 3]`` of
  probabilities in :data:`models.labels.NLI_LABELS` order, e.g. ``NliModel.predict_pairs`` or
  a cached wrapper around it;
- a claim checker ``check_fn(claim) -> verdict``: a verdict string (one of
  :data:`evaluation.datasets.VERDICTS`) or an object with a ``.verdict`` attribute, e.g.
  ``FactChecker.check``.

Premises that are whole documents (FRANK's articles) are read in sentence windows with
``windows="sentence"``: each pair is scored by :func:`models.windows.score_document` (max
entailment / max contradiction over the windows) instead of as one pair. A data set whose
pairs all carry ``label_binary`` also gets its balanced accuracy, entailment vs not.

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
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from evaluation.datasets import VERDICTS, ClaimExample, PairDataset
from evaluation.gate import DEFAULT_TOLERANCE, GateError, Regression, find_regressions
from evaluation.report import write_report
from models.labels import NLI_LABELS
from models.metrics import (
    binary_metrics,
    classification_metrics,
    label_metrics,
    reliability_bins,
)
from models.windows import WindowDecision, score_document
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

#: How premises are read: ``none`` as one text, ``sentence`` in sentence windows.
WINDOW_MODES: tuple[str, ...] = ("none", "sentence")

_ENTAILMENT = NLI_LABELS.index("entailment")


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
    windows: str = "none",
    window_sentences: int = 1,
) -> EvaluationResult:
    """Score every dataset's pairs and compute metrics, pooled and per dataset.

    :param score_fn: see the module docstring; called with at most ``batch_size`` pairs
        (with windows: once per pair, with all of its premise's windows).
    :param datasets: at least one; names must be unique (``news_pairs``, ``sick-TEST``).
    :param windows: one of :data:`WINDOW_MODES`; ``sentence`` reads every premise in
        windows of up to ``window_sentences`` sentences (:func:`~models.windows.score_document`).
    :returns: metrics with ``n``, ``accuracy``, ``macro_f1``, ``per_class``, ``confusion``
        (rows gold, columns predicted, NLI_LABELS order), ``ece``, ``pairs_per_second``,
        ``primary_metric``, ``reliability`` (calibration bins) and the same per dataset
        under ``datasets``; a dataset whose pairs all carry ``label_binary`` has
        ``balanced_accuracy`` and ``binary`` (entailment predicted vs not), and so does
        the pooled section when every dataset does. With windows, each dataset says so
        (``windows``, ``window_sentences``, ``windows_scored``). Errors are the
        misclassified pairs with their probabilities (and deciding window).
    :raises EvaluationError: the score function returned the wrong shape, a non-finite
        value or rows that are not probabilities.
    :raises ValueError: no datasets, a batch size below 1, an unknown window mode, or a
        repeated dataset name.
    """
    if not datasets:
        raise ValueError("evaluate_pairs needs at least one dataset")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if windows not in WINDOW_MODES:
        raise ValueError(f"windows must be one of {WINDOW_MODES}, got {windows!r}")
    if window_sentences < 1:
        raise ValueError(f"window_sentences must be at least 1, got {window_sentences}")
    windowed = windows == "sentence"
    names = [dataset.name for dataset in datasets]
    if len(set(names)) != len(names):
        raise ValueError(f"dataset names must be unique, got {names}")

    total_batches = sum(
        len(dataset) if windowed else -(-len(dataset) // batch_size) for dataset in datasets
    )
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
            decisions: list[WindowDecision] | None = None
            if windowed:
                probs, seconds, decisions, windows_scored = _score_dataset_in_windows(
                    score_fn, dataset, window_sentences, bar
                )
            else:
                probs, seconds = _score_dataset(score_fn, dataset, batch_size, bar)
            gold = np.array([NLI_LABELS.index(ex.label) for ex in dataset.examples])
            section = classification_metrics(probs, gold, NLI_LABELS)
            if dataset.binary:
                section.update(_binary_section(dataset.examples, probs))
            section.update(
                path=str(dataset.path),
                format=dataset.format,
                pairs_per_second=_rate(len(dataset), seconds),
                seconds=seconds,
            )
            if decisions is not None:
                section.update(
                    windows=windows,
                    window_sentences=window_sentences,
                    windows_scored=windows_scored,
                )
            per_dataset[dataset.name] = section
            errors.extend(_pair_errors(dataset, probs, decisions))
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
    if all(dataset.binary for dataset in datasets):
        examples = [ex for dataset in datasets for ex in dataset.examples]
        metrics.update(_binary_section(examples, probs))
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
    windows: str = "none",
    window_sentences: int = 1,
) -> EvaluationResult:
    """Evaluate pairs (and claims, given both ``check_fn`` and ``claims``), gate against
    ``baseline``, and write the report to ``output_dir`` when one is given.

    :param baseline: a previous run's metrics (:func:`evaluation.gate.load_metrics`).
    :param run_info: extra keys stored at the top of the metrics (model name, arguments).
    :param windows: how premises are read (:func:`evaluate_pairs`).
    :returns: the combined result; ``metrics["gate"]`` and ``regressions`` hold the gate's
        findings (empty when it passed or no baseline was given).
    :raises GateError: the baseline shares no comparable section with this run (raised
        after the report is written, so that tonight's run can be tomorrow's baseline).
    """
    pairs_result = evaluate_pairs(
        score_fn,
        datasets,
        batch_size=batch_size,
        show_progress_bar=show_progress_bar,
        windows=windows,
        window_sentences=window_sentences,
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


def _score_dataset_in_windows(
    score_fn: ScoreFn, dataset: PairDataset, window_sentences: int, bar: tqdm
) -> tuple[np.ndarray, float, list[WindowDecision], int]:
    """Each pair through :func:`~models.windows.score_document`: its premise in windows,
    scored in one call of ``score_fn``; the rows are the document-level probabilities.

    :returns: the rows, the seconds spent scoring, the decisions and the windows scored.
    """
    rows, decisions, seconds = [], [], 0.0
    scored = [0]

    def predict(pairs: Sequence[tuple[str, str]], where: str) -> np.ndarray:
        scored[0] += len(pairs)
        return _check_probs(score_fn(pairs), len(pairs), where)

    for example in dataset.examples:
        where = f"{dataset.name} pair {example.id}: the windows of its premise"
        began = time.perf_counter()
        try:
            decision = score_document(
                partial(predict, where=where),
                example.premise,
                example.hypothesis,
                size=window_sentences,
            )
        except ValueError as exc:  # a premise with no sentence at all
            raise EvaluationError(f"{dataset.name} pair {example.id}: {exc}") from None
        seconds += time.perf_counter() - began
        rows.append([decision.probabilities[label] for label in NLI_LABELS])
        decisions.append(decision)
        bar.update(1)
    return np.asarray(rows, dtype=np.float64), seconds, decisions, scored[0]


def _binary_section(examples: Sequence[Any], probs: np.ndarray) -> dict[str, Any]:
    """``balanced_accuracy`` (next to macro-F1) and ``binary``: entailment predicted (the
    most probable label) against ``label_binary``."""
    binary = binary_metrics(
        [ex.label_binary == "entailment" for ex in examples],
        probs.argmax(axis=1) == _ENTAILMENT,
    )
    return {"balanced_accuracy": binary["balanced_accuracy"], "binary": binary}


def _check_probs(raw: Any, expected_rows: int, name: str, start: int | None = None) -> np.ndarray:
    where = name if start is None else f"{name}, pairs {start}..{start + expected_rows - 1}"
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


def _pair_errors(
    dataset: PairDataset, probs: np.ndarray, decisions: Sequence[WindowDecision] | None = None
) -> list[dict[str, Any]]:
    errors = []
    for i, (example, row) in enumerate(zip(dataset.examples, probs)):
        predicted = NLI_LABELS[int(row.argmax())]
        if predicted != example.label:
            error = {
                "dataset": dataset.name,
                "id": example.id,
                "line": example.line,
                "premise": example.premise,
                "hypothesis": example.hypothesis,
                "gold": example.label,
                "predicted": predicted,
                "probabilities": {label: round(float(p), 6) for label, p in zip(NLI_LABELS, row)},
            }
            if example.label_binary is not None:
                error["gold_binary"] = example.label_binary
            if decisions is not None:
                window = decisions[i].window
                error["window"] = {"text": window.text, "start": window.start, "end": window.end}
            errors.append(error)
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
