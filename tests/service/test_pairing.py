"""Candidate pairs from the vector index: no self-pairs, no duplicates, at most n·k."""

from __future__ import annotations

import numpy as np
import pytest

from service.claims import Claim
from service.pairing import candidate_pairs, may_pair
from service.store.index import ClaimIndex


def _corpus(n_articles: int, per_article: int, dim: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    # Clustered vectors so that many neighbours clear the similarity floor.
    centres = rng.normal(size=(4, dim))
    claims, vectors = [], []
    for a in range(n_articles):
        for i in range(per_article):
            claims.append(Claim(f"art{a}", i, f"sentence {a}-{i}", 0, 1, None))
            vectors.append(centres[(a + i) % 4] + 0.3 * rng.normal(size=dim))
    vectors = np.asarray(vectors, dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    keys = np.arange(100, 100 + len(claims))
    index = ClaimIndex(dim)
    index.add(keys, vectors)
    return claims, vectors, index, keys


@pytest.mark.parametrize("k", [1, 3, 8])
def test_pairs_are_unique_unordered_and_bounded(k):
    claims, vectors, index, keys = _corpus(n_articles=12, per_article=10)
    pairs, _ = candidate_pairs(claims, vectors, index, keys, k=k, min_similarity=0.0)
    assert pairs
    as_sets = [frozenset((p.a, p.b)) for p in pairs]
    assert all(p.a < p.b for p in pairs), "pairs are stored with a < b"
    assert len(set(as_sets)) == len(as_sets), "no duplicate pairs"
    assert all(len(s) == 2 for s in as_sets), "no self-pairs"
    assert len(pairs) <= len(claims) * k
    assert all(claims[p.a].article_id != claims[p.b].article_id for p in pairs)


def test_similarity_floor_is_respected():
    claims, vectors, index, keys = _corpus(n_articles=6, per_article=5)
    pairs, _ = candidate_pairs(claims, vectors, index, keys, k=8, min_similarity=0.8)
    for p in pairs:
        assert p.similarity >= 0.8
        assert float(vectors[p.a] @ vectors[p.b]) == pytest.approx(p.similarity, abs=1e-4)


def test_near_duplicates_are_grouped_not_paired():
    dim = 8
    base = np.eye(dim, dtype=np.float32)
    near = base[0] + 0.01 * base[1]
    vectors = np.stack([base[0], near / np.linalg.norm(near), base[0] + base[2]]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    claims = [Claim(f"a{i}", 0, f"s{i}", 0, 1) for i in range(3)]
    index = ClaimIndex(dim)
    index.add(np.arange(3), vectors)
    pairs, groups = candidate_pairs(claims, vectors, index, [0, 1, 2], k=8, min_similarity=0.1)
    assert groups.find(0) == groups.find(1)
    assert (0, 1) not in {(p.a, p.b) for p in pairs}
    # The duplicate group meets claim 2 once, not once per member.
    assert len([p for p in pairs if 2 in (p.a, p.b)]) == 1


def test_same_article_pairs_only_across_speakers():
    a = Claim("x", 0, "s", 0, 1, speaker="Kabulov")
    b = Claim("x", 1, "s", 0, 1, speaker="a Taliban spokesperson")
    c = Claim("x", 2, "s", 0, 1, speaker=None)
    d = Claim("y", 0, "s", 0, 1, speaker=None)
    assert may_pair(a, b)
    assert not may_pair(a, Claim("x", 3, "s", 0, 1, speaker="kabulov"))
    assert not may_pair(a, c)
    assert may_pair(c, d)


def test_seed_corpus_pairs_include_the_brief_examples(engine):
    snapshot = engine.corpus.snapshot()
    pairs, _ = engine.candidate_pairs(snapshot)
    claims = snapshot.claims
    n, k = len(claims), engine.params.top_k
    assert len(pairs) <= n * k
    joined = [f"{claims[p.a].text} | {claims[p.b].text}" for p in pairs]
    assert any("not been made aware" in j and "baseless" in j for j in joined)
    assert any("communication channels opened" in j and "not sharing" in j for j in joined)


@pytest.mark.parametrize("n_queries", [1, 3])
def test_index_search_one_and_many_queries(n_queries):
    claims, vectors, index, keys = _corpus(n_articles=2, per_article=3)
    found, sims = index.search(vectors[:n_queries], k=10)
    assert found.shape == sims.shape == (n_queries, 10)
    for row in range(n_queries):
        assert found[row, 0] == keys[row], "a stored vector is its own nearest neighbour"
        assert sims[row, 0] == pytest.approx(1.0, abs=1e-5)
        assert list(found[row, 6:]) == [-1] * 4, "only 6 vectors are stored"
