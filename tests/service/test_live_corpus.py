"""Incremental ingestion: an article changes only its own entries in the live corpus (never
a reload of the whole corpus), corpus-wide statistics follow it, another process's articles
are caught up article by article, and readers are not held up while an article is embedded."""

from __future__ import annotations

import threading
import uuid

import numpy as np
import pytest

from service.articles import make_article
from service.claims import extract_claims
from service.settings import Settings
from service.store.corpus import CorpusStore
from service.topics import CueCounts, topic_cues
from service.vectors import embed_claims


@pytest.fixture
def fresh(services, tmp_path):
    """Services over a fresh copy of the seed corpus, sharing the session's models."""
    settings = Settings(data_dir=tmp_path, seeds_dir=services.settings.seeds_dir)
    with services.sharing_models(settings, use_cache=False) as built:
        built.engine  # noqa: B018 - seeds the corpus
        yield built


def article(text: str, **meta):
    return make_article(f"{text} ({uuid.uuid4().hex[:8]})", **meta)


def test_ingest_never_reloads_the_corpus(fresh, monkeypatch):
    engine = fresh.engine
    before = engine.claim_count

    def no_reload(*args, **kwargs):
        raise AssertionError("an ingest read the whole corpus back")

    monkeypatch.setattr(engine.store, "load_claims", no_reload)
    monkeypatch.setattr(engine.store, "list_articles", no_reload)
    results = engine.ingest(
        [
            article("The mayor of Herat opened a new bridge over the river on Monday."),
            article("Kandahar's airport reopened to civilian flights after three weeks."),
        ]
    )
    assert all(r.added for r in results)
    assert engine.claim_count == before + sum(r.claims for r in results)
    assert engine.version == engine.store.version()
    verdict = engine.check("A new bridge over the river opened in Herat.")
    assert any(e.claim.article_id == results[0].article_id for e in verdict.evidence)


def test_incremental_state_equals_a_fresh_load(fresh, services):
    """After adds and a delete, the live corpus is what a process starting now would load."""
    engine = fresh.engine
    added = engine.ingest(
        [
            article("Russia and Pakistan signed a trade deal in Islamabad on Tuesday."),
            article("The Taliban said the Kabul airport would reopen for Hajj flights."),
        ]
    )
    assert engine.delete(added[0].article_id)
    with services.sharing_models(fresh.settings, use_cache=False) as reopened:
        a, b = engine.corpus.snapshot(), reopened.engine.corpus.snapshot()
    assert a.version == b.version == engine.store.version()
    assert a.keys == b.keys and a.claims == b.claims and a.titles == b.titles
    np.testing.assert_array_equal(a.vectors, b.vectors)
    assert a.common_cues == b.common_cues


def test_add_then_delete_restores_the_version_and_the_index(fresh):
    engine = fresh.engine
    version, count = engine.version, engine.claim_count
    text = "Officials in Bamiyan restored the ancient Buddha niches with new scaffolding."
    result = engine.ingest([article(text)])[0]
    assert engine.version != version
    vector = fresh.embedder.embed([text])
    _v, hits, _c = engine.corpus.retrieve(vector, 3, 0.5)
    assert hits[0][0].claim.article_id == result.article_id
    assert engine.delete(result.article_id)
    assert (engine.version, engine.claim_count) == (version, count)
    _v, hits, _c = engine.corpus.retrieve(vector, 3, 0.5)
    assert all(hit.claim.article_id != result.article_id for hit in hits[0])


def test_articles_added_by_another_process_are_caught_up_one_by_one(fresh, monkeypatch):
    engine = fresh.engine
    other = CorpusStore(fresh.settings.data_dir / "corpus.sqlite3", fresh.embedder.name)
    try:
        new = article("The governor of Ghazni resigned on Sunday, his office said.")
        claims = extract_claims(new.id, new.text)
        assert other.add(new, claims, embed_claims(fresh.embedder, claims)) is not None
        loaded: list[object] = []
        real = engine.store.load_claims
        monkeypatch.setattr(
            engine.store, "load_claims", lambda ids=None: loaded.append(ids) or real(ids)
        )
        assert engine.refresh() is True
        assert loaded == [{new.id}], "only the new article's claims are read"
        assert engine.version == other.version()
        assert engine.refresh() is False
        assert other.delete(new.id)
        assert engine.refresh() is True and engine.version == other.version()
    finally:
        other.close()


def test_common_cues_follow_the_articles():
    counts = CueCounts()
    counts.add("a", ["Officials said Russia held talks in Kabul."])
    counts.add("b", ["Reports said Russia denied it in Moscow."])
    counts.add("c", ["The weather in Paris was mild."])
    assert counts.common() == {"russia"}  # in two of three articles
    counts.remove("a")
    counts.remove("b")
    assert counts.common() == frozenset(topic_cues("The weather in Paris was mild."))
    counts.add("a", [])  # an article without claims does not count
    assert len(counts) == 1


class BlockingEmbedder:
    """The real embedder, except that embedding a text holding ``marker`` waits until the
    test lets it go: an article stuck in embedding."""

    def __init__(self, inner, marker: str) -> None:
        self.inner = inner
        self.marker = marker
        self.entered = threading.Event()
        self.release = threading.Event()

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def load(self):
        self.inner.load()
        return self

    def embed(self, texts, show_progress_bar=None):
        if any(self.marker in t for t in texts):
            self.entered.set()
            assert self.release.wait(60), "the test never released the embedder"
        return self.inner.embed(texts, show_progress_bar=show_progress_bar)


def test_readers_are_not_blocked_while_an_article_is_embedded(services, tmp_path):
    marker = uuid.uuid4().hex[:10]
    embedder = BlockingEmbedder(services.embedder, marker)
    settings = Settings(data_dir=tmp_path, seeds_dir=services.settings.seeds_dir)
    with services.sharing_models(settings, embedder=embedder, use_cache=False) as blocked:
        engine = blocked.engine
        text = f"The council of district {marker} approved a new school on Monday."
        ingesting = threading.Thread(target=engine.ingest, args=([article(text)],))
        ingesting.start()
        try:
            assert embedder.entered.wait(60), "the ingest never reached the embedder"
            done = threading.Event()

            def read() -> None:
                engine.check("Russia plans to close its embassy in Kabul.")
                engine.corpus.snapshot()
                done.set()

            reader = threading.Thread(target=read)
            reader.start()
            assert done.wait(120), "a check waited for an article being embedded"
        finally:
            embedder.release.set()
            ingesting.join(60)
        assert any(c.article_id for c in engine.corpus.snapshot().claims if marker in c.text)
