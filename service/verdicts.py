"""Evidence, verdicts and contradictions: the engine's results, and the pure rule that turns
scored evidence into a verdict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from models.labels import NLI_LABELS
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
    """Two corpus claims that contradict each other, or, with another ``label``, any pair
    of claims the corpus sweep scored (``factcheck contradictions --label any``).

    ``probabilities`` are those of the direction (a→b or b→a) the label was read from
    (for a contradiction, the one with the higher contradiction probability);
    ``contradiction`` is that direction's contradiction probability. ``on_topic``: the
    topic gate (:func:`service.topics.same_topic`); a contradiction is always on topic.
    """

    a: Claim
    b: Claim
    title_a: str | None
    title_b: str | None
    similarity: float
    probabilities: dict[str, float]
    label: str = "contradiction"
    on_topic: bool = True

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
    verdict, confidence = decide(support, refute, decision_threshold)
    return Verdict(claim, verdict, confidence, evidence)


def decide(support: float, refute: float, decision_threshold: float) -> tuple[VerdictLabel, float]:
    """The verdict rule of ``/check``, ``/flag`` and ``/verify`` alike: the strongest
    entailment (``support``) against the strongest contradiction (``refute``).

    :returns: the verdict and its confidence: the deciding probability, or for
        ``not_enough_info`` one minus the stronger of the two.
    """
    if max(support, refute) < decision_threshold:
        return "not_enough_info", round(1.0 - max(support, refute), 4)
    if support >= refute:
        return "supported", round(support, 4)
    return "refuted", round(refute, 4)
