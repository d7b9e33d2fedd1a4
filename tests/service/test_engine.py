"""The engine end to end on the seed corpus with the real models: the product brief's
examples and the verdicts the issue asks for."""

from __future__ import annotations

import pytest

from tests.support import KABULOV_FLOAT32_MISS


def _pair_texts(contradictions) -> list[str]:
    return [f"{c.a.text} || {c.b.text}" for c in contradictions]


def _kabulov(pairs):
    return [
        c
        for c in pairs
        if {c.a.text, c.b.text} & {"We have communication channels opened for sharing information."}
        and "not sharing information or intelligence" in c.a.text + c.b.text
    ]


def test_brief_example_peskov_vs_embassy_is_scored_and_listed(engine):
    """Retrieved as a candidate pair and listed with whatever label the model gives."""
    engine.contradictions()  # runs the sweep
    listed = [
        c
        for c in engine.contradictions(label=None)
        if "not been made aware of the accusations" in c.a.text + c.b.text
        and "baseless" in c.a.text + c.b.text
    ]
    assert listed, "the Peskov / embassy pair was not retrieved"
    assert all(c.label in ("entailment", "neutral", "contradiction") for c in listed)


@KABULOV_FLOAT32_MISS
def test_brief_example_kabulov_vs_taliban_is_a_contradiction(engine):
    found = _kabulov(engine.contradictions())
    assert found, "\n".join(_pair_texts(engine.contradictions(10)))
    # one sentence of Kabulov's quotation, still attributed to him, against the rebuttal
    assert {found[0].a.speaker, found[0].b.speaker} == {
        "the Russian diplomat",
        "a Taliban spokesperson",
    }


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="issue 10: the shipped model reads it as contradiction only at about 0.52, below "
    "many pairs of related but different statements (model card, known weaknesses)",
)
def test_brief_example_kabulov_vs_taliban_in_the_top_10(engine):
    assert _kabulov(engine.contradictions(10))


def test_contradictions_are_ranked_and_between_allowed_claims(engine):
    found = engine.contradictions()
    scores = [c.contradiction for c in found]
    assert scores == sorted(scores, reverse=True)
    for c in found:
        assert c.a != c.b
        assert c.contradiction >= max(c.probabilities["entailment"], c.probabilities["neutral"])
        if c.a.article_id == c.b.article_id:
            assert c.a.speaker and c.b.speaker and c.a.speaker != c.b.speaker


def test_embassy_claim_is_refuted(engine):
    verdict = engine.check("Russia plans to close its embassy in Kabul.")
    assert verdict.verdict == "refuted", verdict


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="issue 10: 'Russia would not shut down or relocate its embassy' against 'Russia "
    "plans to close its embassy' leans entailment (0.39) for the shipped model",
)
def test_embassy_claim_is_refuted_by_seed_003(engine):
    verdict = engine.check("Russia plans to close its embassy in Kabul.")
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


def test_store_of_an_older_claim_extractor_is_re_extracted(tmp_path, services, seeds_dir):
    """A corpus written before quotations were split gets its claims re-extracted when it
    is opened; its articles stay as they are."""
    import numpy as np

    from service.claims import CLAIMS_VERSION, Claim
    from service.settings import Settings
    from service.store.corpus import CorpusStore

    settings = Settings(data_dir=tmp_path, seeds_dir=seeds_dir)
    embedder = services.embedder
    first = services.sharing_models(settings, use_cache=False)
    fresh = first.engine
    articles = {a.id: a.text for a in fresh.store.list_articles()}
    expected = sorted(c.claim.text for c in fresh.store.load_claims()[0])
    # What an older version left behind: one claim per article, no extractor version.
    store = fresh.store
    for article_id, text in articles.items():
        old = [Claim(article_id, 0, text.strip()[:80], 0, 80)]
        store.replace_claims(article_id, old, np.ones((1, embedder.dim), np.float32))
    with store._transaction() as conn:
        conn.execute("DELETE FROM meta WHERE key='claims_version'")

    first.close()
    with services.sharing_models(settings, use_cache=False) as second:
        reopened = second.engine
        assert reopened.store.claims_version == CLAIMS_VERSION
        assert sorted(c.claim.text for c in reopened.store.load_claims()[0]) == expected
        assert {a.id: a.text for a in reopened.store.list_articles()} == articles
    assert CorpusStore(tmp_path / "corpus.sqlite3", embedder.name).claims_version == CLAIMS_VERSION
