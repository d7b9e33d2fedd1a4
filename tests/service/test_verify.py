"""CheckService.verify: a claim against one document, read in sentence windows; the
deciding window comes back with offsets into the document as given."""

from __future__ import annotations

import pytest

from service.checks import CheckService, VerifyResult
from service.errors import InvalidInput
from service.verdicts import decide
from tests.documents import LONG_ARTICLE, LONG_ARTICLE_SENTENCES
from tests.support import SEEDS

SEED_003 = next(SEEDS.glob("003_*.txt")).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def checks(services, answer_cache) -> CheckService:
    return CheckService(services.engine, services.scorer, answer_cache, services.model)


def assert_offsets(result: VerifyResult, document: str) -> None:
    for window in (result.window, *result.top_entailment, *result.top_contradiction):
        assert document[window.start : window.end] == window.text


def test_a_claim_stated_in_a_seed_article_is_found_where_it_is(checks):
    claim = "The Russian Federation has reinforced its military bases in Tajikistan with new guns."
    result = checks.verify(claim, SEED_003)
    assert result.verdict == "supported" and result.label == "entailment"
    stated = SEED_003.index("Meanwhile, as tension in Central Asia")
    assert result.window.start == stated
    assert result.window.text.endswith("with new machine guns.")
    assert SEED_003[result.window.start : result.window.end] == result.window.text
    assert result.top_entailment[0] == result.window
    assert result.probabilities["entailment"] == max(result.probabilities.values())
    assert_offsets(result, SEED_003)


def test_a_long_article_is_read_sentence_by_sentence(checks):
    # Attributed as the article attributes it: the model follows the project's labelling
    # rule that "X said A" does not establish A itself (docs/nli-guidelines.md).
    claim = (
        "The town's finance officer told councillors that property taxes will rise by "
        "1.5 percent next year."
    )
    result = checks.verify(claim, LONG_ARTICLE)
    assert result.windows == LONG_ARTICLE_SENTENCES and result.window_sentences == 1
    assert result.verdict == "supported"
    assert result.window.text.startswith("Property taxes will rise by 1.5 percent")
    start = LONG_ARTICLE.index("Property taxes will rise")
    assert (result.window.start, result.window.end) == (start, start + len(result.window.text))
    assert_offsets(result, LONG_ARTICLE)
    assert len(result.top_entailment) == len(result.top_contradiction) == 3
    ent = [w.probabilities["entailment"] for w in result.top_entailment]
    assert ent == sorted(ent, reverse=True)


def test_the_last_paragraph_of_a_long_article_counts_too(checks):
    claim = "Residents can view the architect's drawings at the town hall until the end of April."
    result = checks.verify(claim, LONG_ARTICLE)
    assert result.verdict == "supported"
    assert result.window.end == len(LONG_ARTICLE.rstrip())


def test_a_negated_sentence_is_refuted_by_the_window_that_states_it(checks):
    result = checks.verify("The old library building will not be sold.", LONG_ARTICLE)
    assert result.verdict == "refuted" and result.label == "contradiction"
    assert result.window.text == "The old library building will be sold."
    assert result.top_contradiction[0] == result.window


def test_wider_windows_read_adjacent_sentences_as_well(checks):
    claim = "Mr Mendes said the increase would cost the average household about $60 a year."
    result = checks.verify(claim, LONG_ARTICLE, window_sentences=2)
    assert result.windows == 2 * LONG_ARTICLE_SENTENCES - 1
    assert_offsets(result, LONG_ARTICLE)


def test_the_answer_is_cached_and_offsets_survive_the_round_trip(services, answer_cache):
    checks = CheckService(services.engine, services.scorer, answer_cache, services.model)
    document = "Intro line.\r\n\r\n  The bridge reopened on Monday after repairs.  \r\n"
    first = checks.verify("  The bridge   reopened on Monday. ", document)
    assert first.cached is False and first.claim == "The bridge reopened on Monday."
    second = checks.verify("The bridge reopened on Monday.", document)
    assert second.cached is True
    assert second == VerifyResult(**{**first.__dict__, "cached": True})
    assert document[second.window.start : second.window.end] == second.window.text
    assert checks.verify(first.claim, document, window_sentences=2).cached is False


@pytest.mark.parametrize(
    ("claim", "document", "kwargs", "field", "message"),
    [
        ("  ", "A sentence.", {}, ("claim",), "claim is empty"),
        ("\u200b\u2060\ufeff", "A sentence.", {}, ("claim",), "only invisible characters"),
        ("x" * 1_001, "A sentence.", {}, ("claim",), "claim is 1,001 characters long"),
        ("A claim.", "", {}, ("document",), "document is empty"),
        ("A claim.", "\u200b \u00ad\n", {}, ("document",), "only invisible characters"),
        ("A claim.", "x" * 200_001, {}, ("document",), "the limit is 200,000"),
        ("A claim.", "A sentence.", {"window_sentences": 0}, ("window_sentences",), "1 to 3"),
        ("A claim.", "A sentence.", {"window_sentences": 4}, ("window_sentences",), "1 to 3"),
    ],
)
def test_bad_input_names_the_field(checks, claim, document, kwargs, field, message):
    with pytest.raises(InvalidInput) as caught:
        checks.verify(claim, document, **kwargs)
    assert caught.value.field == field
    assert message in str(caught.value)


def test_verdict_follows_the_rule_and_threshold_of_check(checks):
    """/verify decides as /check does: the strongest entailing window against the strongest
    contradicting one, at the engine's decision threshold (not at a fixed 0.5)."""
    claim = "Tajikistan shares an 843-mile border with Afghanistan."
    result = checks.verify(claim, SEED_003)
    support = result.top_entailment[0].probabilities["entailment"]
    refute = result.top_contradiction[0].probabilities["contradiction"]
    threshold = checks.engine.params.decision_threshold
    assert (result.verdict, result.confidence) == decide(support, refute, threshold)
    assert decide(support, refute, 0.0)[0] == ("supported" if support >= refute else "refuted")
    assert decide(support, refute, 0.999) == ("not_enough_info", round(1 - max(support, refute), 4))
