"""Long premises read in sentence windows.

A cross-encoder reads at most a few hundred tokens, and a news document is longer: it is cut
into windows of consecutive sentences (one sentence each by default; optionally adjacent
pairs as well), each window is scored against the claim, and the document's probabilities
are the deciding window's. :func:`aggregate_windows` is the one rule used by
``POST /verify``, ``factcheck verify`` and ``factcheck evaluate --windows sentence``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from models.labels import NLI_LABELS


@dataclass(frozen=True)
class Window:
    """Consecutive sentences of a document; ``text == document[start:end]``."""

    text: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def split_sentences(document: str) -> list[Window]:
    """The document's sentences with their character offsets (blank ones dropped)."""
    out = []
    for line_start, line in _lines(document):
        for span in _segmenter().segment(line):
            text = span.sent.strip()
            if not text:
                continue
            start = line_start + span.start + (len(span.sent) - len(span.sent.lstrip()))
            out.append(Window(text, start, start + len(text)))
    return out


def _lines(document: str) -> list[tuple[int, str]]:
    """Non-blank lines with their offsets: news text keeps one paragraph per line, and
    pysbd should never join a headline to the paragraph below it."""
    out, offset = [], 0
    for line in document.splitlines(keepends=True):
        if line.strip():
            out.append((offset, line.rstrip("\r\n")))
        offset += len(line)
    return out


def sentence_windows(document: str, size: int = 1) -> list[Window]:
    """Windows of ``size`` consecutive sentences (all windows of 1..size sentences)."""
    if size < 1:
        raise ValueError(f"window size must be at least 1, got {size}")
    sentences = split_sentences(document)
    windows = []
    for width in range(1, size + 1):
        for i in range(len(sentences) - width + 1):
            first, last = sentences[i], sentences[i + width - 1]
            windows.append(Window(document[first.start : last.end], first.start, last.end))
    return windows


@dataclass(frozen=True)
class WindowDecision:
    """The document-level probabilities and the window that decided them."""

    probabilities: dict[str, float]
    label: str
    window: Window
    window_index: int
    #: the strongest window's entailment and contradiction, as the model gave them
    max_entailment: float
    max_contradiction: float


def aggregate_windows(windows: list[Window], probs: np.ndarray) -> WindowDecision:
    """Max entailment and max contradiction over the windows.

    ``probs`` is ``[len(windows), 3]`` in :data:`NLI_LABELS` order (premise = window,
    hypothesis = claim). The document entails the claim when some window does, and
    contradicts it when some window does; when both happen, the stronger one decides. The
    deciding window is the one with the highest probability of the decided label (for a
    neutral decision, the window closest to deciding either way).
    """
    if not windows or len(windows) != len(probs):
        raise ValueError("need one probability row per window, and at least one window")
    ent, con = NLI_LABELS.index("entailment"), NLI_LABELS.index("contradiction")
    i_ent, i_con = int(np.argmax(probs[:, ent])), int(np.argmax(probs[:, con]))
    p_ent, p_con = float(probs[i_ent, ent]), float(probs[i_con, con])
    # Neutral is what is left when no window decides: 1 - the stronger of the two maxima,
    # so the top label of the vector is always the decision (after normalising).
    raw = {"entailment": p_ent, "neutral": 1.0 - max(p_ent, p_con), "contradiction": p_con}
    total = sum(raw.values())
    p = {k: raw[k] / total for k in NLI_LABELS}
    if max(p_ent, p_con) < 0.5:
        label, i = "neutral", (i_ent if p_ent >= p_con else i_con)
    elif p_ent >= p_con:
        label, i = "entailment", i_ent
    else:
        label, i = "contradiction", i_con
    return WindowDecision(p, label, windows[i], i, p_ent, p_con)


def score_document(
    predict: Callable[[Sequence[tuple[str, str]]], np.ndarray],
    document: str,
    claim: str,
    *,
    size: int = 1,
) -> WindowDecision:
    """Score ``claim`` against ``document`` read in windows of up to ``size`` sentences.

    ``predict`` maps (premise, hypothesis) pairs to ``[n, 3]`` probabilities in
    :data:`NLI_LABELS` order (e.g. ``NliModel.predict_pairs``).

    :raises ValueError: the document holds no sentence.
    """
    windows = sentence_windows(document, size=size)
    if not windows:
        raise ValueError("the document holds no sentence")
    probs = np.asarray(predict([(w.text, claim) for w in windows]))
    return aggregate_windows(windows, probs)
