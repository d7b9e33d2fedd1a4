"""The transport-neutral service API (service/checks.py): plain values in, domain objects
out, domain errors that name the field at fault, the answer cache applied here."""

from __future__ import annotations

import uuid

import pytest

from service.checks import CheckResult, CheckService
from service.errors import ArticleError, ArticleNotFound, InvalidInput
from service.settings import Settings

EMBASSY_CLAIM = "Russia plans to close its embassy in Kabul."


@pytest.fixture(scope="module")
def checks(services, answer_cache) -> CheckService:
    """The session's service API with a real Redis answer cache."""
    return CheckService(services.engine, services.scorer, answer_cache, services.model)


@pytest.fixture
def writable(services, tmp_path):
    settings = Settings(data_dir=tmp_path, seeds_dir=services.settings.seeds_dir)
    with services.sharing_models(settings, use_cache=False) as built:
        yield built.checks


def test_check_returns_domain_objects_and_caches_the_answer(checks):
    first = checks.check("  Russia plans to close\n its embassy in Kabul. ")
    assert isinstance(first, CheckResult) and first.cached is False
    assert first.verdict.claim == EMBASSY_CLAIM  # normalised before checking and caching
    second = checks.check(EMBASSY_CLAIM)
    assert second.cached is True
    assert second.verdict == first.verdict  # the same dataclasses back from the cache
    assert second.corpus_version == first.corpus_version and second.model == first.model
    assert checks.check(EMBASSY_CLAIM, top_k=3).cached is False  # parameters are in the key


@pytest.mark.parametrize(
    ("call", "field", "message"),
    [
        (lambda c: c.check("   "), ("claim",), "claim is empty"),
        (lambda c: c.check("x" * 2_001), ("claim",), "claim is 2,001 characters long"),
        (lambda c: c.check("ok", top_k=0), ("top_k",), "top_k must be at least 1"),
        (lambda c: c.flag(""), ("text",), "text is empty"),
        (
            lambda c: c.score_pairs([("a b", "c d"), ("a b", " ")]),
            ("pairs", 1, "hypothesis"),
            "hypothesis is empty",
        ),
        (lambda c: c.score_pairs([("a", "b")] * 257), ("pairs",), "the limit is 256"),
    ],
)
def test_bad_input_names_the_field(checks, call, field, message):
    with pytest.raises(InvalidInput) as caught:
        call(checks)
    assert caught.value.field == field
    assert message in str(caught.value)


def test_pairs_come_back_in_order_with_their_labels(checks, nli_model):
    pairs = [("The summit was cancelled.", "The summit took place."), ("Rain fell.", "It rained.")]
    scores = checks.score_pairs(pairs)
    expected = nli_model.predict_pairs(pairs)
    for score, row in zip(scores.results, expected):
        assert list(score.probabilities.values()) == pytest.approx(row.tolist(), abs=1e-5)
        assert score.label == max(score.probabilities, key=score.probabilities.get)


def test_articles_are_ingested_once_and_can_be_deleted(writable):
    text = f"The council of Herat approved a water plan on {uuid.uuid4()}."
    first = writable.ingest_text(text, title="Herat water plan")
    assert first.added and first.claims >= 1
    again = writable.ingest_text(text, title="Another title")
    assert not again.added and again.article.title == "Herat water plan"
    assert writable.get_article(first.article.id).text == text
    page = writable.list_articles(limit=500)
    assert page.count == len(page.articles) and first.article in page.articles
    writable.delete_article(first.article.id)
    with pytest.raises(ArticleNotFound):
        writable.get_article(first.article.id)
    with pytest.raises(ArticleNotFound):
        writable.delete_article(first.article.id)
    with pytest.raises(ArticleError) as caught:
        writable.ingest_text("a\x00b")
    assert caught.value.field == ("text",)


def test_flags_carry_the_evidence_behind_their_label(checks):
    draft = "Officials met on Tuesday. Russia plans to close its embassy in Kabul, a source said."
    result = checks.flag(draft, title="Draft")
    assert result.title == "Draft"
    for flag in result.flagged:
        assert draft[flag.start : flag.end] == flag.sentence
        assert flag.evidence and all(e.on_topic for e in flag.evidence)
        assert all(e.probabilities[flag.label] >= 0.5 for e in flag.evidence)


def test_contradictions_are_paged(checks):
    everything = checks.contradictions()
    page = checks.contradictions(limit=2, offset=1)
    assert page.count == everything.count
    assert page.contradictions == everything.contradictions[1:3]


def test_health_reports_the_corpus_and_the_cache(checks):
    health = checks.health()
    assert health.status == "ok" and health.cache is not None and health.cache.answers
    assert health.corpus.articles >= 5 and health.corpus.claims > 0
