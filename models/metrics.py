"""Classification metrics, computed by hand with numpy: pure functions, no I/O.

Gold and predicted labels are integer class ids (``0 .. n_classes-1``); for NLI the order
is :data:`models.labels.NLI_LABELS` (entailment, neutral, contradiction). A precision,
recall or F1 whose denominator is zero is reported as 0.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: Equal-width confidence bins for the expected calibration error.
ECE_BINS = 15


def confusion_matrix(gold: Sequence[int], pred: Sequence[int], n_classes: int) -> np.ndarray:
    """Counts of (gold, predicted) pairs.

    :returns: int64 array ``[n_classes, n_classes]``; rows are gold classes, columns
        predicted classes.
    :raises ValueError: lengths differ or an id is outside ``0 .. n_classes-1``.
    """
    gold_ids, pred_ids = _ids(gold, pred, n_classes)
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (gold_ids, pred_ids), 1)
    return matrix


def accuracy(gold: Sequence[int], pred: Sequence[int]) -> float:
    """Share of items whose prediction equals the gold label (0.0 for no items)."""
    gold_ids, pred_ids = np.asarray(gold), np.asarray(pred)
    if gold_ids.shape != pred_ids.shape:
        raise ValueError(f"gold has {gold_ids.shape[0]} items, pred {pred_ids.shape[0]}")
    return float((gold_ids == pred_ids).mean()) if gold_ids.size else 0.0


def per_class_scores(matrix: np.ndarray, labels: Sequence[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of each class from a confusion matrix.

    :param matrix: ``[n, n]`` counts, rows gold, columns predicted (:func:`confusion_matrix`).
    :param labels: the class names, in row order.
    :returns: ``{label: {"precision", "recall", "f1", "support"}}``; support (an int) is the
        number of gold items of the class.
    """
    matrix = np.asarray(matrix)
    if matrix.shape != (len(labels), len(labels)):
        raise ValueError(f"matrix shape {matrix.shape} does not match {len(labels)} labels")
    true_pos = np.diag(matrix).astype(np.float64)
    predicted = matrix.sum(axis=0).astype(np.float64)
    support = matrix.sum(axis=1)
    precision = _safe_divide(true_pos, predicted)
    recall = _safe_divide(true_pos, support.astype(np.float64))
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    return {
        label: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }


def macro_f1(matrix: np.ndarray) -> float:
    """Unweighted mean of the per-class F1 scores of a confusion matrix.

    Every class counts, including one with no gold items (its F1 is 0.0).
    """
    labels = [str(i) for i in range(np.asarray(matrix).shape[0])]
    scores = per_class_scores(matrix, labels)
    return float(np.mean([scores[label]["f1"] for label in labels]))


def balanced_accuracy(gold: Sequence[int], pred: Sequence[int], n_classes: int = 2) -> float:
    """Mean recall over the classes that have gold items: accuracy that a majority class
    cannot inflate (predicting one class everywhere scores 1 / n_classes)."""
    gold_ids, pred_ids = _ids(gold, pred, n_classes)
    recalls = [
        float((pred_ids[gold_ids == c] == c).mean())
        for c in range(n_classes)
        if (gold_ids == c).any()
    ]
    return float(np.mean(recalls)) if recalls else 0.0


def binary_metrics(gold_entails: Sequence[bool], pred_entails: Sequence[bool]) -> dict[str, Any]:
    """Entailment vs not: ``balanced_accuracy``, ``accuracy``, ``n`` and the recall of each
    side (``recall_entailment``, ``recall_not_entailment``)."""
    gold = np.asarray(gold_entails, dtype=bool).reshape(-1)
    pred = np.asarray(pred_entails, dtype=bool).reshape(-1)
    if gold.shape != pred.shape:
        raise ValueError(f"gold has {gold.shape[0]} items, pred {pred.shape[0]}")
    gold_ids, pred_ids = (~gold).astype(np.int64), (~pred).astype(np.int64)  # 0: entailment
    return {
        "n": int(gold.size),
        "balanced_accuracy": balanced_accuracy(gold_ids, pred_ids, 2),
        "accuracy": accuracy(gold_ids, pred_ids),
        "recall_entailment": float(pred[gold].mean()) if gold.any() else 0.0,
        "recall_not_entailment": float((~pred[~gold]).mean()) if (~gold).any() else 0.0,
    }


def reliability_bins(
    probs: np.ndarray, gold: Sequence[int], n_bins: int = ECE_BINS
) -> list[dict[str, float]]:
    """Group items by confidence (their maximum probability) into equal-width bins.

    Bin ``b`` holds confidences in ``(b/n_bins, (b+1)/n_bins]``; the first bin also holds 0.

    :param probs: ``[n, n_classes]`` probabilities.
    :returns: one dict per bin: ``lower``, ``upper``, ``count``, ``confidence`` (mean max
        probability) and ``accuracy`` (share of argmax predictions that are right); the
        last two are 0.0 for an empty bin.
    """
    probs = np.asarray(probs, dtype=np.float64)
    gold_ids = np.asarray(gold)
    if probs.ndim != 2 or probs.shape[0] != gold_ids.shape[0]:
        raise ValueError(f"probs shape {probs.shape} does not match {gold_ids.shape[0]} labels")
    confidence = probs.max(axis=1) if probs.size else np.zeros(0)
    correct = (probs.argmax(axis=1) == gold_ids) if probs.size else np.zeros(0, dtype=bool)
    index = np.clip(np.ceil(confidence * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    bins = []
    for b in range(n_bins):
        members = index == b
        count = int(members.sum())
        bins.append(
            {
                "lower": b / n_bins,
                "upper": (b + 1) / n_bins,
                "count": count,
                "confidence": float(confidence[members].mean()) if count else 0.0,
                "accuracy": float(correct[members].mean()) if count else 0.0,
            }
        )
    return bins


def expected_calibration_error(
    probs: np.ndarray, gold: Sequence[int], n_bins: int = ECE_BINS
) -> float:
    """ECE: the count-weighted mean gap between accuracy and confidence over
    :func:`reliability_bins` (0.0 is perfectly calibrated; 0.0 for no items)."""
    bins = reliability_bins(probs, gold, n_bins)
    total = sum(b["count"] for b in bins)
    if total == 0:
        return 0.0
    return float(sum(b["count"] * abs(b["accuracy"] - b["confidence"]) for b in bins) / total)


def label_metrics(
    gold: Sequence[int], pred: Sequence[int], labels: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class scores and confusion matrix of hard predictions.

    :returns: ``{"n", "accuracy", "macro_f1", "per_class", "confusion"}``; ``confusion`` is
        a list of rows (gold) of counts per predicted label, in ``labels`` order.
    """
    matrix = confusion_matrix(gold, pred, len(labels))
    return {
        "n": int(len(gold)),
        "accuracy": accuracy(gold, pred),
        "macro_f1": macro_f1(matrix),
        "per_class": per_class_scores(matrix, labels),
        "confusion": matrix.tolist(),
    }


def classification_metrics(
    probs: np.ndarray, gold: Sequence[int], labels: Sequence[str], n_bins: int = ECE_BINS
) -> dict[str, Any]:
    """:func:`label_metrics` of the argmax predictions, plus ``ece``.

    :param probs: ``[n, len(labels)]`` probabilities, columns in ``labels`` order.
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] != len(labels):
        raise ValueError(f"probs shape {probs.shape} does not match {len(labels)} labels")
    pred = probs.argmax(axis=1) if probs.shape[0] else np.zeros(0, dtype=np.int64)
    result = label_metrics(gold, pred, labels)
    result["ece"] = expected_calibration_error(probs, gold, n_bins)
    return result


def _ids(gold: Sequence[int], pred: Sequence[int], n_classes: int) -> tuple[np.ndarray, ...]:
    gold_ids = np.asarray(gold, dtype=np.int64).reshape(-1)
    pred_ids = np.asarray(pred, dtype=np.int64).reshape(-1)
    if gold_ids.shape != pred_ids.shape:
        raise ValueError(f"gold has {gold_ids.shape[0]} items, pred {pred_ids.shape[0]}")
    for name, ids in (("gold", gold_ids), ("pred", pred_ids)):
        if ids.size and (ids.min() < 0 or ids.max() >= n_classes):
            raise ValueError(f"{name} ids must lie in 0..{n_classes - 1}")
    return gold_ids, pred_ids


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.zeros_like(numerator, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out
