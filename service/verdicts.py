"""Evidence, verdicts and contradictions: the engine's results, and pure aggregation."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from models.nli import NLI_LABELS
from service.claims import Claim

VerdictLabel = Literal["supported", "refuted", "not_enough_info"]


def label_of(probabilities: Mapping[str, float]) -> str:
    """The most probable NLI label."""
    return max(NLI_LABELS, key=lambda label: probabilities[label])


@dataclass(frozen=True)
class Evidence:
    """A corpus claim retrieved for a query sentence, with the NLI result of
    (premise = corpus claim, hypothesis = query)."""

    claim: Claim
    title: str | None
    similarity: float
    probabilities: dict[str, float]
    on_topic: bool = True

    @property
    def label(self) -> str:
        return label_of(self.probabilities)


@dataclass(frozen=True)
class Verdict:
    """What the corpus says about a claim, with the evidence behind it."""

    claim: str
    verdict: VerdictLabel
    confidence: float
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Contradiction:
    """Two corpus claims that contradict each other.

    ``probabilities`` are those of the direction (a→b or b→a) with the higher
    contradiction probability; ``contradiction`` is that probability.
    """

    a: Claim
    b: Claim
    title_a: str | None
    title_b: str | None
    similarity: float
    probabilities: dict[str, float]

    @property
    def contradiction(self) -> float:
        return self.probabilities["contradiction"]


def aggregate_verdict(
    claim: str, evidence: Sequence[Evidence], *, decision_threshold: float = 0.5
) -> Verdict:
    """Turn scored evidence into a verdict. Pure: no I/O, no model.

    The strongest on-topic entailment supports the claim and the strongest on-topic
    contradiction refutes it; when neither reaches ``decision_threshold`` (a probability),
    or there is no evidence, the verdict is ``not_enough_info``.
    """
    on_topic = [e for e in evidence if e.on_topic]
    support = max((e.probabilities["entailment"] for e in on_topic), default=0.0)
    refute = max((e.probabilities["contradiction"] for e in on_topic), default=0.0)
    evidence = tuple(sorted(evidence, key=lambda e: -e.similarity))
    if max(support, refute) < decision_threshold:
        return Verdict(claim, "not_enough_info", round(1.0 - max(support, refute), 4), evidence)
    if support >= refute:
        return Verdict(claim, "supported", round(support, 4), evidence)
    return Verdict(claim, "refuted", round(refute, 4), evidence)


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
