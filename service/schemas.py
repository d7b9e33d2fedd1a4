"""Public JSON shapes of the engine's results, shared by the REST API and ``--json`` output."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.claims import Claim
from service.verdicts import Contradiction, Evidence, Verdict


class Probabilities(BaseModel):
    entailment: float = Field(ge=0, le=1)
    neutral: float = Field(ge=0, le=1)
    contradiction: float = Field(ge=0, le=1)


class ClaimPublic(BaseModel):
    """A corpus sentence; ``article.text[start:end] == sentence``."""

    article_id: str
    title: str | None
    sentence: str
    sentence_index: int
    start: int
    end: int
    speaker: str | None

    @classmethod
    def of(cls, claim: Claim, title: str | None) -> ClaimPublic:
        return cls(
            article_id=claim.article_id,
            title=title,
            sentence=claim.text,
            sentence_index=claim.index,
            start=claim.start,
            end=claim.end,
            speaker=claim.speaker,
        )


class EvidencePublic(ClaimPublic):
    similarity: float
    label: Literal["entailment", "neutral", "contradiction"]
    probabilities: Probabilities
    on_topic: bool

    @classmethod
    def of_evidence(cls, evidence: Evidence) -> EvidencePublic:
        base = ClaimPublic.of(evidence.claim, evidence.title).model_dump()
        return cls(
            **base,
            similarity=evidence.similarity,
            label=evidence.label,
            probabilities=Probabilities(**evidence.probabilities),
            on_topic=evidence.on_topic,
        )


class ModelInfo(BaseModel):
    nli: str
    embedder: str
    version: str


class VerdictPublic(BaseModel):
    claim: str
    verdict: Literal["supported", "refuted", "not_enough_info"]
    confidence: float
    evidence: list[EvidencePublic]

    @classmethod
    def of(cls, verdict: Verdict) -> VerdictPublic:
        return cls(
            claim=verdict.claim,
            verdict=verdict.verdict,
            confidence=verdict.confidence,
            evidence=[EvidencePublic.of_evidence(e) for e in verdict.evidence],
        )


class ContradictionPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    contradiction: float
    similarity: float
    premise: ClaimPublic
    hypothesis: ClaimPublic
    probabilities: Probabilities

    @classmethod
    def of(cls, c: Contradiction) -> ContradictionPublic:
        return cls(
            contradiction=c.contradiction,
            similarity=c.similarity,
            premise=ClaimPublic.of(c.a, c.title_a),
            hypothesis=ClaimPublic.of(c.b, c.title_b),
            probabilities=Probabilities(**c.probabilities),
        )
