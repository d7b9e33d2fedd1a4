"""Temperature scaling (Guo et al., 2017): one scalar T that divides the logits, fitted on
held-out pairs by minimising their negative log-likelihood.

It never changes the top label; it makes the probabilities mean what they say, which is what
a fact-checker reads in ``/check``'s confidence and ``/flag``'s probabilities.
"""

from __future__ import annotations

import numpy as np

from models import metrics


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def negative_log_likelihood(logits: np.ndarray, gold: np.ndarray, temperature: float) -> float:
    """Mean NLL of ``gold`` (label ids ``[n]``) under ``softmax(logits [n, k] / T)``."""
    log_probs = _log_softmax(np.asarray(logits, dtype=np.float64) / temperature)
    return float(-log_probs[np.arange(len(gold)), gold].mean())


def fit_temperature(logits: np.ndarray, gold: np.ndarray) -> float:
    """The T in [0.05, 20] with the lowest NLL (golden-section search on log T: the NLL is
    unimodal in T for a fixed set of logits)."""
    if len(gold) == 0:
        raise ValueError("cannot fit a temperature on no pairs")
    lo, hi = np.log(0.05), np.log(20.0)
    ratio = (np.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa = negative_log_likelihood(logits, gold, float(np.exp(a)))
    fb = negative_log_likelihood(logits, gold, float(np.exp(b)))
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = negative_log_likelihood(logits, gold, float(np.exp(a)))
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = negative_log_likelihood(logits, gold, float(np.exp(b)))
    return round(float(np.exp((lo + hi) / 2)), 4)


def expected_calibration_error(
    logits: np.ndarray, gold: np.ndarray, temperature: float = 1.0
) -> float:
    """ECE of ``softmax(logits / T)``, binned as ``factcheck evaluate`` bins it
    (:func:`models.metrics.expected_calibration_error`), so the figures agree."""
    probs = np.exp(_log_softmax(np.asarray(logits, dtype=np.float64) / temperature))
    return round(metrics.expected_calibration_error(probs, gold), 4)
