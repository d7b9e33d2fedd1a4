"""Candidate pairs: which claims talk about the same thing, found with the vector index.

Each claim proposes at most ``k`` partners, so the number of pairs is bounded by n·k and the
cost grows as n·k rather than n².
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from service.claims import Claim


class NeighbourSearch(Protocol):
    """What pairing needs of an index: :meth:`service.store.index.ClaimIndex.search`."""

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class CandidatePair:
    """An unordered pair of claim positions ``a < b`` and their cosine similarity."""

    a: int
    b: int
    similarity: float


class DuplicateGroups:
    """Union-find over claim positions: near-duplicate sentences share one group."""

    def __init__(self, n: int) -> None:
        self._parent = list(range(n))

    def find(self, i: int) -> int:
        while self._parent[i] != i:
            self._parent[i] = self._parent[self._parent[i]]
            i = self._parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self._parent[max(ri, rj)] = min(ri, rj)


def may_pair(a: Claim, b: Claim) -> bool:
    """Claims from different articles may pair; inside one article only claims attributed to
    two different named speakers do (a quote against its rebuttal)."""
    if a.article_id != b.article_id:
        return True
    return bool(a.speaker and b.speaker and a.speaker.lower() != b.speaker.lower())


def candidate_pairs(
    claims: Sequence[Claim],
    vectors: np.ndarray,
    index: NeighbourSearch,
    keys: Sequence[int],
    *,
    k: int = 8,
    min_similarity: float = 0.45,
    duplicate_similarity: float = 0.97,
) -> tuple[list[CandidatePair], DuplicateGroups]:
    """Pairs of claims to run NLI on.

    :param claims: the corpus claims; ``vectors[i]`` (float32 ``[n, dim]``, normalised) and
        ``keys[i]`` (its key in ``index``) belong to ``claims[i]``.
    :param index: a :class:`~service.store.index.ClaimIndex`, or anything that searches like
        one (the live corpus searches its index under its lock); keys it returns that are
        not in ``keys`` are skipped.
    :returns: deduplicated unordered pairs (at most ``k`` proposed per claim, so at most
        ``len(claims) * k``), and the near-duplicate groups; near-duplicates are never paired
        with each other and each pair of groups appears once.
    """
    n = len(claims)
    groups = DuplicateGroups(n)
    if n < 2:
        return [], groups
    position = {int(key): i for i, key in enumerate(keys)}
    # Over-fetch: some neighbours are the claim itself, duplicates or same-speaker claims.
    fetch = min(n, 3 * k + 1)
    neighbour_keys, sims = index.search(vectors, fetch)

    for i in range(n):
        for key, sim in zip(neighbour_keys[i], sims[i]):
            j = position.get(int(key))
            if j is not None and j != i and sim >= duplicate_similarity:
                groups.union(i, j)

    seen: set[tuple[int, int]] = set()
    pairs: list[CandidatePair] = []
    for i in range(n):
        proposed = 0
        for key, sim in zip(neighbour_keys[i], sims[i]):
            if proposed >= k or sim < min_similarity:
                break
            j = position.get(int(key))
            if j is None or j == i or sim >= duplicate_similarity:
                continue
            if not may_pair(claims[i], claims[j]):
                continue
            gi, gj = groups.find(i), groups.find(j)
            if gi == gj:
                continue
            group_pair = (min(gi, gj), max(gi, gj))
            proposed += 1
            if group_pair in seen:
                continue
            seen.add(group_pair)
            pairs.append(CandidatePair(a=min(i, j), b=max(i, j), similarity=float(sim)))
    return pairs, groups
