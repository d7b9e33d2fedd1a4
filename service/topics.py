"""The topic gate: whether two sentences are about the same thing, so that a contradiction
between them means something, and which names and numbers are too common in the corpus to
say so."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

#: Default share of the articles above which a cue is common (``Settings.topic_common_cue_share``).
COMMON_CUE_SHARE = 0.5

_NUMBER = re.compile(r"\d[\d,.]*")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z'’-]+")


def topic_cues(text: str) -> set[str]:
    """Numbers and capitalised names (not sentence-initial) in a sentence, lower-cased."""
    cues = {m.group().rstrip(".,") for m in _NUMBER.finditer(text)}
    cues |= {m.group().lower().rstrip("'’s") for m in _NAME.finditer(text)}
    return {c for c in cues if c}


def same_topic(
    a: str,
    b: str,
    similarity: float,
    *,
    common_cues: frozenset[str] = frozenset(),
    topic_similarity: float = 0.5,
) -> bool:
    """Whether two sentences are about the same thing, so a contradiction between them is
    meaningful: they are similar enough, or share a number or a name that is not common
    across the whole corpus (``common_cues``: names such as the corpus's main countries)."""
    if similarity >= topic_similarity:
        return True
    return bool((topic_cues(a) & topic_cues(b)) - common_cues)


class CueCounts:
    """How many articles mention each topic cue, kept up to date article by article.

    :meth:`common` is the set of cues found in more than ``common_share`` of the articles
    (half by default; e.g. the corpus's main countries): sharing one says little about two
    sentences being on the same event. It is recomputed from the counts (not from the texts)
    only after a change. Articles without claims do not count. Not thread-safe: the caller
    holds its lock.
    """

    def __init__(self, common_share: float = COMMON_CUE_SHARE) -> None:
        if not 0.0 <= common_share <= 1.0:
            raise ValueError(f"common_share must lie in 0..1, got {common_share}")
        self.common_share = common_share
        self._per_article: dict[str, frozenset[str]] = {}
        self._counts: Counter[str] = Counter()
        self._common: frozenset[str] | None = frozenset()

    def __len__(self) -> int:
        """Articles counted."""
        return len(self._per_article)

    def add(self, article_id: str, texts: Iterable[str]) -> None:
        """Count the cues of an article's claim texts (an article already counted is left
        as it is)."""
        if article_id in self._per_article:
            return
        texts = list(texts)
        if not texts:
            return
        cues = frozenset(cue for text in texts for cue in topic_cues(text))
        self._per_article[article_id] = cues
        self._counts.update(cues)
        self._common = None

    def remove(self, article_id: str) -> None:
        cues = self._per_article.pop(article_id, None)
        if cues is None:
            return
        self._counts.subtract(cues)
        for cue in cues:
            if self._counts[cue] <= 0:
                del self._counts[cue]
        self._common = None

    def common(self) -> frozenset[str]:
        """Cues found in more than ``common_share`` of the articles."""
        if self._common is None:
            bar = max(len(self._per_article), 1) * self.common_share
            self._common = frozenset(cue for cue, n in self._counts.items() if n > bar)
        return self._common
