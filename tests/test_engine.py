"""The engine end to end on the seed corpus with the real models: the product brief's
examples and the verdicts the issue asks for."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from service.cli import cli


def _pair_texts(contradictions) -> list[str]:
    return [f"{c.a.text} || {c.b.text}" for c in contradictions]


def test_brief_example_peskov_vs_embassy(engine):
    joined = _pair_texts(engine.contradictions(10))
    assert any("not been made aware of the accusations" in j and "baseless" in j for j in joined), (
        "\n".join(joined)
    )


KABULOV_XFAIL = pytest.mark.xfail(
    strict=True,
    reason="issue 3: the shipped checkpoint reads Kabulov's information sharing vs the Taliban "
    "refusal as neutral (0.99); strict, so a model that gets it right fails this marker and it "
    "must be removed",
)


@KABULOV_XFAIL
def test_brief_example_kabulov_vs_taliban(engine):
    joined = _pair_texts(engine.contradictions(10))
    assert any(
        "communication channels opened for sharing information" in j
        and "not sharing information or intelligence" in j
        for j in joined
    ), "\n".join(joined)


def test_contradictions_are_ranked_and_between_allowed_claims(engine):
    found = engine.contradictions()
    scores = [c.contradiction for c in found]
    assert scores == sorted(scores, reverse=True)
    for c in found:
        assert c.a != c.b
        assert c.contradiction >= max(c.probabilities["entailment"], c.probabilities["neutral"])
        if c.a.article_id == c.b.article_id:
            assert c.a.speaker and c.b.speaker and c.a.speaker != c.b.speaker


def test_embassy_claim_is_refuted_by_seed_003(engine):
    verdict = engine.check("Russia plans to close its embassy in Kabul.")
    assert verdict.verdict == "refuted", verdict
    refuting = [e for e in verdict.evidence if e.label == "contradiction"]
    assert any(
        "would not shut down or relocate its embassy from Kabul" in e.claim.text for e in refuting
    )


def test_absent_topic_is_not_enough_info(engine):
    verdict = engine.check("The price of coffee in Brazil rose sharply last winter.")
    assert verdict.verdict == "not_enough_info"
    assert verdict.evidence == ()


def test_evidence_offsets_slice_back_to_the_article(engine):
    verdict = engine.check("Russia plans to close its embassy in Kabul.")
    assert verdict.evidence
    for e in verdict.evidence:
        article = engine.store.get_article(e.claim.article_id)
        assert article.text[e.claim.start : e.claim.end] == e.claim.text


def test_flag_offsets_point_into_the_submitted_text(engine):
    draft = (
        "Officials met in Geneva on Tuesday.\n"
        "Russia plans to close its embassy in Kabul, a source said."
    )
    flagged = engine.flag(draft)
    assert flagged
    for f in flagged:
        assert draft[f.start : f.end] == f.verdict.claim
    assert any("embassy" in f.verdict.claim and f.verdict.verdict == "refuted" for f in flagged)


def test_cli_contradictions_json_ranks_the_peskov_example(engine, seeded_settings):
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["contradictions", "--top", "10", "--json"],
        obj={"settings": seeded_settings, "scorer": engine.scorer},
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    joined = [r["premise"]["sentence"] + " || " + r["hypothesis"]["sentence"] for r in rows]
    assert any("not been made aware" in j and "baseless" in j for j in joined)
    for r in rows:
        assert set(r["probabilities"]) == {"entailment", "neutral", "contradiction"}


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        ("Russia plans to close its embassy in Kabul.", "refuted"),
        ("The Eiffel Tower was repainted in bright green.", "not_enough_info"),
    ],
)
def test_cli_check_json(engine, seeded_settings, claim, expected):
    result = CliRunner().invoke(
        cli, ["check", claim, "--json"], obj={"settings": seeded_settings, "scorer": engine.scorer}
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verdict"] == expected
