"""The three wrong answers quoted in the model issue (a newcomer's first look at the seed
corpus): each must now be right, and right for the reason a fact-checker would give."""

from __future__ import annotations

import pytest


def still_wrong(why: str) -> pytest.MarkDecorator:
    """Strict expected failure: the shipped model still gets this answer wrong, for ``why``."""
    return pytest.mark.xfail(
        strict=True,
        raises=AssertionError,
        reason="issue 10: the shipped model still gets this wrong (model card, known "
        "weaknesses); strict: a model that gets it right fails the marker — " + why,
    )


@still_wrong(
    "'down to nearly 8,600, … officials said' against 'Around 8,600 "
    "… remain' leans contradiction (0.57)",
)
def test_troop_strength_claim_is_supported_by_the_nearly_8600_sentence(engine):
    draft = "Around 8,600 US troops remain in Afghanistan."
    flagged = engine.flag(draft)
    assert [f.verdict.verdict for f in flagged] == ["supported"], flagged
    assert draft[flagged[0].start : flagged[0].end] == draft
    supporting = [e for e in flagged[0].verdict.evidence if e.label == "entailment"]
    assert any("nearly 8,600" in e.claim.text for e in supporting)


@still_wrong(
    "refuted, but by on-topic sentences about the bounties, not by the "
    "'declined to comment' sentence, which is not among the retrieved evidence",
)
def test_white_house_comment_claim_is_refuted_by_its_declining_to_comment(engine):
    verdict = engine.check("The White House commented on the bounty report.")
    assert verdict.verdict == "refuted", verdict
    refuting = [e for e in verdict.evidence if e.label == "contradiction"]
    assert any("declined to comment" in e.claim.text.lower() for e in refuting), [
        (e.claim.text, e.label) for e in verdict.evidence
    ]


@still_wrong(
    "the 843-mile border is a relative clause inside a sentence about "
    "terror fears; the model reads the pair as neutral",
)
def test_tajikistan_border_claim_is_supported_by_seed_003(engine):
    verdict = engine.check("Tajikistan shares a 843 miles long border with Afghanistan.")
    assert verdict.verdict == "supported", verdict
    supporting = [e for e in verdict.evidence if e.label == "entailment"]
    assert any("843 miles long border" in e.claim.text for e in supporting)
