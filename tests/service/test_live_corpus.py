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


class PausedStore:
    """The real store, except that adding an article holding ``marker`` stops right after
    its transaction commits, until the test lets it go: an ingest caught between the store
    write and the swap of the snapshot, the writer lock held."""

    def __init__(self, store: CorpusStore, marker: str) -> None:
        self.real_add = store.add
        self.marker = marker
        self.committed = threading.Event()
        self.release = threading.Event()

    def add(self, article, claims, embeddings):
        keys = self.real_add(article, claims, embeddings)
        if self.marker in article.text:
            self.committed.set()
            assert self.release.wait(60), "the test never released the ingest"
        return keys


def test_a_reader_keeps_one_consistent_snapshot_while_an_ingest_runs(fresh, monkeypatch):
    """Issue 12: requests read an immutable snapshot swapped in atomically. While an ingest
    holds the writer lock (its article already committed to the store), a check and a
    health probe still answer at once, from the version before the ingest; a snapshot
    taken before stays what it was after the new one is swapped in."""
    engine, checks = fresh.engine, fresh.checks
    marker = uuid.uuid4().hex[:10]
    text = f"The council of Herat district {marker} opened a new hospital on Monday."
    paused = PausedStore(engine.store, marker)
    monkeypatch.setattr(engine.store, "add", paused.add)
    before = engine.snapshot()
    claims_before, keys_before = before.claims, before.keys
    query = fresh.embedder.embed([text])

    ingesting = threading.Thread(target=checks.ingest_text, args=(text,))
    ingesting.start()
    try:
        assert paused.committed.wait(120), "the ingest never reached the store"
        assert engine.store.version() != before.version, "the article is committed"
        answers: dict[str, object] = {}

        def read() -> None:
            answers["check"] = checks.check(text)
            answers["health"] = checks.health()
            answers["snapshot"] = engine.snapshot()

        reader = threading.Thread(target=read)
        reader.start()
        reader.join(120)
        assert not reader.is_alive(), "a reader waited for the ingest's writer lock"
        # Everything the reader saw is the corpus before the ingest, as one version.
        assert answers["snapshot"] is before
        assert answers["check"].corpus_version == before.version
        assert all(e.claim.article_id in before.titles for e in answers["check"].verdict.evidence)
        assert answers["health"].corpus.version == before.version
        assert answers["health"].corpus.claims == before.claim_count
    finally:
        paused.release.set()
        ingesting.join(120)

    after = engine.snapshot()
    assert after is not before and after.version == engine.store.version()
    assert after.claim_count > before.claim_count
    new_hits = after.retrieve(query, 3, 0.5)[0]
    assert new_hits and marker in new_hits[0].claim.text
    # the old snapshot is untouched by the swap
    assert before.claims == claims_before and before.keys == keys_before
    assert all(marker not in hit.claim.text for hit in before.retrieve(query, 3, 0.0)[0])
    assert checks.check(text).corpus_version == after.version


def _unit(rng: np.random.Generator, dim: int) -> np.ndarray:
    v = rng.standard_normal(dim).astype(np.float32)
    return v / np.linalg.norm(v)


def test_snapshots_stay_whole_under_concurrent_ingests_deletes_and_compactions(
    tmp_path, monkeypatch
):
    """Readers taking snapshots while writers add and delete articles (and fold the pending
    layer into new bases, made frequent here) always see a whole corpus version: its
    version is the digest of its articles, every article has all its claims and no
    deleted one has any, and the layered search answers what brute force does."""
    import service.live_corpus as live_corpus
    from service.claims import Claim
    from service.live_corpus import LiveCorpus
    from service.store.corpus import id_hash

    monkeypatch.setattr(live_corpus, "COMPACT_AT_LEAST", 6)
    dim, per_article = 8, 3
    store = CorpusStore(tmp_path / "corpus.sqlite3", "test-embedder")
    corpus = LiveCorpus(store, dim).load()
    rng = np.random.default_rng(12)
    articles = [
        make_article(f"Article {i}: officials met in town {i} on day {i}.") for i in range(60)
    ]
    vectors = {a.id: np.stack([_unit(rng, dim) for _ in range(per_article)]) for a in articles}
    stop = threading.Event()
    problems: list[str] = []

    def write() -> None:
        try:
            for i, a in enumerate(articles):
                claims = [Claim(a.id, j, f"{a.text} #{j}", 0, 1) for j in range(per_article)]
                corpus.add(a, claims, vectors[a.id])
                if i % 4 == 3:  # delete one of the earlier articles now and then
                    corpus.delete(articles[i - 2].id)
        finally:
            stop.set()

    def read() -> None:
        query_rng = np.random.default_rng(7)
        while True:
            last = stop.is_set()  # one more pass once the writer is done
            snap = corpus.snapshot()
            digest = 0
            for article_id in snap.titles:
                digest ^= id_hash(article_id)
            if snap.version != store.version_of(digest):
                problems.append("version is not the digest of the snapshot's articles")
            per = {}
            for claim in snap.claims:
                per[claim.article_id] = per.get(claim.article_id, 0) + 1
            if set(per) - set(snap.titles) or any(n != per_article for n in per.values()):
                problems.append(f"claims of a partial or deleted article: {per}")
            if snap.claim_count != len(snap.keys) or len(snap.vectors) != len(snap.keys):
                problems.append("claim count, keys and vectors disagree")
            if snap.keys:
                q = _unit(query_rng, dim)[None, :]
                keys, sims = snap.search(q, 5)
                exact = snap.vectors @ q[0]
                best = np.sort(exact)[::-1][: min(5, len(exact))]
                if not np.allclose(sims[0, : len(best)], best, atol=1e-5):
                    problems.append("layered search differs from brute force")
                if not set(keys[0][keys[0] >= 0].tolist()) <= set(snap.keys):
                    problems.append("search returned a key outside the snapshot")
            if last:
                return

    readers = [threading.Thread(target=read) for _ in range(3)]
    writer = threading.Thread(target=write)
    for t in [*readers, writer]:
        t.start()
    for t in [writer, *readers]:
        t.join(120)
    try:
        assert not problems, problems[:3]
        final = corpus.snapshot()
        assert final.version == store.version()
        assert set(final.titles) == store.article_ids()
        assert len(final._added) <= max(live_corpus.COMPACT_AT_LEAST, final.claim_count // 8)
    finally:
        store.close()
