"""LiveCorpus: the corpus as retrieval reads it, in memory, kept in step with the store.

Readers never take a lock. The corpus is published as an immutable :class:`Snapshot` (the
claims by key, their vectors and nearest-neighbour index, the article titles, the common
topic cues and the corpus version); a request takes the current one with one attribute read
and uses it from start to end, so everything it retrieves belongs to one corpus version,
whatever is ingested meanwhile. A writer (an ingest, a delete, catching up with another
process) builds the next snapshot under the writer lock and swaps it in with one
assignment; readers that hold the old one keep it, unchanged, until they drop it.

So that an ingest does not copy the whole corpus, a snapshot is two layers: a frozen *base*
(claims, vectors and a usearch index, built once and shared by every snapshot made from it)
and a small *pending* layer on top (claims added since, searched exactly, and base keys
deleted since). A new snapshot copies only the pending layer; when it grows past an eighth
of the base (at least :data:`COMPACT_AT_LEAST` claims), the writer folds it into a new base.

The store is read whole once, at start-up; after that, adding or deleting an article
changes only that article's entries (never a reload of the corpus), and articles that
another process added or deleted (a second server worker, ``factcheck ingest``) are caught
up by :meth:`LiveCorpus.sync`, also article by article.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from service.articles import Article
from service.claims import Claim
from service.store.corpus import CorpusStore, id_hash
from service.store.index import ClaimIndex
from service.topics import COMMON_CUE_SHARE, CueCounts

logger = logging.getLogger(__name__)

#: The pending layer of a snapshot is folded into a new base beyond this many claims (or an
#: eighth of the base, whichever is more): small enough to search exactly, rare enough that
#: rebuilding the index costs little per claim.
COMPACT_AT_LEAST = 1024


@dataclass(frozen=True)
class Hit:
    """A corpus claim retrieved for a query, with its cosine similarity to it."""

    claim: Claim
    title: str | None
    similarity: float


class _Base:
    """The frozen layer of snapshots: claims, their vectors and an index over them, built
    once and never changed, so any number of snapshots share it."""

    def __init__(self, dim: int, claims: dict[int, Claim], vectors: dict[int, np.ndarray]):
        self.dim = dim
        self.claims = claims
        self.vectors = vectors
        self.index = ClaimIndex(dim)
        if claims:
            keys = np.fromiter(claims, dtype=np.int64, count=len(claims))
            self.index.add(keys, np.stack([vectors[int(k)] for k in keys]))
        # usearch's search reuses per-thread scratch space inside the index, so two searches
        # of one index must not overlap. Only searchers take this lock: no writer ever holds
        # it, since nothing writes to a base once it is built.
        self._search_lock = threading.Lock()

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        with self._search_lock:
            return self.index.search(vectors, k)


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The corpus at one version, immutable: read it from any thread without a lock.

    :ivar version: the corpus version (part of every cache key): the store's version of
        exactly these articles.
    :ivar titles: article id → title, of every article in this version.
    :ivar common_cues: topic cues common to this version's articles
        (:meth:`~service.topics.CueCounts.common`).
    """

    version: str
    titles: Mapping[str, str | None]
    common_cues: frozenset[str]
    _base: _Base = field(repr=False)
    #: claims added since the base was built, with their vectors (row i: ``_added_keys[i]``)
    _added: Mapping[int, Claim] = field(repr=False)
    _added_keys: np.ndarray = field(repr=False)  # int64 [m]
    _added_vectors: np.ndarray = field(repr=False)  # float32 [m, dim]
    #: base keys deleted since the base was built
    _removed: frozenset[int] = field(repr=False)

    # -- one claim, some claims -----------------------------------------------------------

    @property
    def dim(self) -> int:
        return self._base.dim

    @property
    def claim_count(self) -> int:
        return len(self._base.claims) - len(self._removed) + len(self._added)

    @property
    def article_count(self) -> int:
        return len(self.titles)

    def claim(self, key: int) -> Claim | None:
        key = int(key)
        if key in self._added:
            return self._added[key]
        return None if key in self._removed else self._base.claims.get(key)

    def _vector(self, key: int) -> np.ndarray:
        if key in self._added:
            return self._added_vectors[int(np.searchsorted(self._added_keys, key))]
        return self._base.vectors[key]

    def claims_of(self, keys: Iterable[int]) -> dict[int, Claim]:
        """Key → claim, for the ``keys`` that are in this version."""
        return {int(k): c for k in keys if (c := self.claim(k)) is not None}

    def entries(self, keys: Sequence[int]) -> tuple[list[int], list[Claim], np.ndarray]:
        """The claims of ``keys`` that are in this version, their keys and vectors
        (float32 ``[n, dim]``)."""
        known = [int(k) for k in keys if self.claim(k) is not None]
        claims = [self.claim(k) for k in known]
        vectors = (
            np.stack([self._vector(k) for k in known])
            if known
            else np.zeros((0, self.dim), np.float32)
        )
        return known, claims, vectors  # type: ignore[return-value]

    # -- the whole corpus (O(claims): for sweeps and tests) -------------------------------

    @property
    def keys(self) -> list[int]:
        """Every claim key, in key order."""
        base = (k for k in self._base.claims if k not in self._removed)
        return sorted([*base, *self._added])

    @property
    def claims(self) -> list[Claim]:
        """Every claim, in key order (``claims[i]`` has key ``keys[i]``)."""
        return [self.claim(k) for k in self.keys]  # type: ignore[misc]

    @property
    def vectors(self) -> np.ndarray:
        """float32 ``[n, dim]``: ``vectors[i]`` is the vector of ``claims[i]``."""
        keys = self.keys
        if not keys:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self._vector(k) for k in keys])

    # -- nearest neighbours ---------------------------------------------------------------

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest claims of this version to each query: the base index (asked
        for as many more as were deleted since, which are then dropped) merged with an
        exact search of the claims added since.

        :param vectors: float32 ``[n_queries, dim]``, L2-normalised.
        :returns: ``(keys, similarities)``, each ``[n_queries, k]``, most similar first;
            missing neighbours have key -1 and similarity -inf.
        """
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        n = len(vectors)
        keys = np.full((n, k), -1, dtype=np.int64)
        sims = np.full((n, k), -np.inf, dtype=np.float32)
        if n == 0 or k == 0:
            return keys, sims
        found_keys, found_sims = [], []
        base_size = len(self._base.index)
        if base_size:
            base_keys, base_sims = self._base.search(
                vectors, min(k + len(self._removed), base_size)
            )
            if self._removed:
                gone = np.isin(base_keys, np.fromiter(self._removed, np.int64))
                base_keys = np.where(gone, -1, base_keys)
                base_sims = np.where(gone, -np.inf, base_sims).astype(np.float32)
            found_keys.append(base_keys)
            found_sims.append(base_sims)
        if len(self._added_keys):
            found_sims.append((vectors @ self._added_vectors.T).astype(np.float32))
            found_keys.append(np.broadcast_to(self._added_keys, (n, len(self._added_keys))))
        if not found_keys:
            return keys, sims
        all_keys = np.concatenate(found_keys, axis=1)
        all_sims = np.concatenate(found_sims, axis=1)
        take = min(k, all_keys.shape[1])
        order = np.argsort(-all_sims, axis=1, kind="stable")[:, :take]
        sims[:, :take] = np.take_along_axis(all_sims, order, axis=1)
        keys[:, :take] = np.take_along_axis(all_keys, order, axis=1)
        keys[~np.isfinite(sims)] = -1
        return keys, sims

    def retrieve(self, vectors: np.ndarray, top_k: int, min_similarity: float) -> list[list[Hit]]:
        """The ``top_k`` nearest claims of each query vector at or above ``min_similarity``,
        most similar first (one list per query)."""
        keys, sims = self.search(vectors, top_k)
        return [
            [
                Hit(claim, self.titles.get(claim.article_id), float(sim))
                for key, sim in zip(row_keys, row_sims)
                if key >= 0 and sim >= min_similarity and (claim := self.claim(key)) is not None
            ]
            for row_keys, row_sims in zip(keys, sims)
        ]

    # -- the next version (writers only) --------------------------------------------------

    def _changed(
        self,
        *,
        version: str,
        titles: dict[str, str | None],
        common_cues: frozenset[str],
        added: Mapping[int, tuple[Claim, np.ndarray]],
        removed: Iterable[int],
        compact: bool = False,
    ) -> Snapshot:
        """A new snapshot: this one with ``added`` claims (key → claim and vector) and
        without the ``removed`` keys. Copies the pending layer only, unless it has grown
        past :data:`COMPACT_AT_LEAST` (or an eighth of the base), or ``compact``: then the
        live claims become a new base."""
        removed = {int(k) for k in removed}
        pending: dict[int, tuple[Claim, np.ndarray]] = {
            key: (self._added[key], self._added_vectors[row])
            for row, key in enumerate(self._added_keys.tolist())
            if key not in removed
        }
        pending.update(added)
        gone = frozenset(self._removed | (removed & self._base.claims.keys()))
        base = self._base
        if compact or len(pending) + len(gone) > max(COMPACT_AT_LEAST, len(base.claims) // 8):
            claims = {k: c for k, c in base.claims.items() if k not in gone}
            vectors = {k: v for k, v in base.vectors.items() if k not in gone}
            for key, (claim, vector) in pending.items():
                claims[key] = claim
                vectors[key] = vector
            base, pending, gone = _Base(base.dim, claims, vectors), {}, frozenset()
        order = sorted(pending)
        return Snapshot(
            version=version,
            titles=titles,
            common_cues=common_cues,
            _base=base,
            _added={k: pending[k][0] for k in order},
            _added_keys=np.asarray(order, dtype=np.int64),
            _added_vectors=(
                np.stack([pending[k][1] for k in order]).astype(np.float32, copy=False)
                if order
                else np.zeros((0, base.dim), np.float32)
            ),
            _removed=gone,
        )

    @classmethod
    def empty(cls, dim: int, version: str) -> Snapshot:
        return cls(
            version=version,
            titles={},
            common_cues=frozenset(),
            _base=_Base(dim, {}, {}),
            _added={},
            _added_keys=np.zeros(0, np.int64),
            _added_vectors=np.zeros((0, dim), np.float32),
            _removed=frozenset(),
        )


class LiveCorpus:
    """The in-memory side of a :class:`~service.store.corpus.CorpusStore`.

    Reads go to :meth:`snapshot` (or the shortcuts below, each of which reads the current
    snapshot once); writes (:meth:`add`, :meth:`delete`, :meth:`sync`) hold the writer lock
    and publish a new snapshot.

    :param store: the corpus store it mirrors; writes go through :meth:`add` and
        :meth:`delete`, which write the store first.
    :param dim: embedding dimension of the stored vectors.
    :param common_cue_share: names and numbers in more than this share of the articles are
        common (:class:`~service.topics.CueCounts`).
    """

    def __init__(
        self, store: CorpusStore, dim: int, *, common_cue_share: float = COMMON_CUE_SHARE
    ) -> None:
        self.store = store
        self.dim = dim
        # Held by writers only (and by the one-time load); readers never wait for it.
        self._lock = threading.RLock()
        self._loaded = False
        # The writers' bookkeeping, changed only under the lock.
        self._titles: dict[str, str | None] = {}
        self._keys_of: dict[str, list[int]] = {}
        self._cues = CueCounts(common_cue_share)
        self._ids_digest = 0
        self._snapshot = Snapshot.empty(dim, store.version_of(0))

    # -- loading and catching up --------------------------------------------------------

    def load(self) -> LiveCorpus:
        """Read the stored corpus once (idempotent)."""
        if self._loaded:  # the common case, without the lock
            return self
        with self._lock:
            if self._loaded:
                return self
            self._add_from_store(self.store.titles(), None, compact=True)
            self._loaded = True
            logger.info(
                "corpus: %d articles, %d claims",
                self._snapshot.article_count,
                self._snapshot.claim_count,
            )
        return self

    def sync(self, *, wait: bool = True) -> bool:
        """Catch up with articles another process added or deleted. Costs one row read
        when nothing changed; otherwise reads the ids and only the new articles' claims.

        :param wait: ``False`` (a request): when a writer of this process is at work, do
            not wait for it; the current snapshot is answered from, and the next request
            catches up.
        :returns: whether the corpus had changed.
        """
        self.load()
        if self.store.version() == self._snapshot.version:
            return False
        if not self._lock.acquire(blocking=wait):
            return False
        try:
            stored = self.store.article_ids()
            known = set(self._keys_of)
            new, gone = stored - known, known - stored
            if not new and not gone:
                return False
            removed = [key for article_id in gone for key in self._remove(article_id)]
            added = self._add_from_store(self.store.titles(new), new, publish=False) if new else {}
            self._publish(added, removed)
            logger.info("corpus changed elsewhere: %d added, %d deleted", len(new), len(gone))
            return True
        finally:
            self._lock.release()

    def _add_from_store(
        self,
        titles: dict[str, str | None],
        article_ids: set[str] | None,
        *,
        publish: bool = True,
        compact: bool = False,
    ) -> dict[int, tuple[Claim, np.ndarray]]:
        stored, vectors = self.store.load_claims(article_ids)
        rows: dict[str, list[int]] = {article_id: [] for article_id in titles}
        for row, s in enumerate(stored):
            rows.setdefault(s.claim.article_id, []).append(row)
        added: dict[int, tuple[Claim, np.ndarray]] = {}
        for article_id, article_rows in rows.items():
            added.update(
                self._apply(
                    article_id,
                    titles.get(article_id),
                    [stored[r].claim for r in article_rows],
                    [stored[r].key for r in article_rows],
                    vectors[article_rows] if article_rows else np.zeros((0, self.dim), np.float32),
                )
            )
        if publish:
            self._publish(added, (), compact=compact)
        return added

    # -- writes ---------------------------------------------------------------------------

    def add(self, article: Article, claims: Sequence[Claim], vectors: np.ndarray) -> bool:
        """Store an article with its claims and their vectors ``[len(claims), dim]`` (computed
        by the caller beforehand, without the lock), then publish the snapshot with them.

        :returns: ``False`` (and nothing changes) if the article is stored already.
        """
        self.load()
        with self._lock:
            keys = self.store.add(article, list(claims), vectors)
            if keys is None:
                return False
            self._publish(self._apply(article.id, article.title, claims, keys, vectors), ())
            return True

    def delete(self, article_id: str) -> bool:
        """Remove an article and its claims. :returns: whether it was stored."""
        self.load()
        with self._lock:
            deleted = self.store.delete(article_id)
            if deleted:
                self._publish({}, self._remove(article_id))
            return deleted

    def _apply(
        self,
        article_id: str,
        title: str | None,
        claims: Sequence[Claim],
        keys: Sequence[int],
        vectors: np.ndarray,
    ) -> dict[int, tuple[Claim, np.ndarray]]:
        """Count an article in the writers' bookkeeping; :returns: its claims to publish."""
        if article_id in self._keys_of:
            return {}
        vectors = np.asarray(vectors, dtype=np.float32)
        self._titles[article_id] = title
        self._keys_of[article_id] = [int(k) for k in keys]
        self._cues.add(article_id, [c.text for c in claims])
        self._ids_digest ^= id_hash(article_id)
        return {int(k): (c, v) for k, c, v in zip(keys, claims, vectors)}

    def _remove(self, article_id: str) -> list[int]:
        """Forget an article in the writers' bookkeeping; :returns: its claim keys."""
        if article_id not in self._keys_of:
            return []
        del self._titles[article_id]
        keys = self._keys_of.pop(article_id)
        self._cues.remove(article_id)
        self._ids_digest ^= id_hash(article_id)
        return keys

    def _publish(
        self,
        added: Mapping[int, tuple[Claim, np.ndarray]],
        removed: Iterable[int],
        *,
        compact: bool = False,
    ) -> None:
        """Swap in the next snapshot (the writer lock is held): one assignment, so a reader
        sees the old snapshot or the new one, never a mixture."""
        self._snapshot = self._snapshot._changed(
            version=self.store.version_of(self._ids_digest),
            titles=dict(self._titles),
            common_cues=self._cues.common(),
            added=added,
            removed=removed,
            compact=compact,
        )

    # -- reads: each reads the current snapshot once ---------------------------------------

    def snapshot(self) -> Snapshot:
        """The corpus as it is now: immutable, for as long as the caller holds it."""
        self.load()
        return self._snapshot

    @property
    def version(self) -> str:
        """Changes whenever the corpus does; equal to the store's once in step."""
        return self.snapshot().version

    @property
    def claim_count(self) -> int:
        return self.snapshot().claim_count

    @property
    def article_count(self) -> int:
        return self.snapshot().article_count

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`Snapshot.search` on the current snapshot."""
        return self.snapshot().search(vectors, k)

    def retrieve(
        self, vectors: np.ndarray, top_k: int, min_similarity: float
    ) -> tuple[str, list[list[Hit]], frozenset[str]]:
        """:meth:`Snapshot.retrieve` on the current snapshot.

        :returns: the corpus version searched, one list of hits per query (most similar
            first) and the corpus's common topic cues at that version.
        """
        snapshot = self.snapshot()
        hits = snapshot.retrieve(vectors, top_k, min_similarity)
        return snapshot.version, hits, snapshot.common_cues

    def entries(self, keys: Sequence[int]) -> tuple[list[int], list[Claim], np.ndarray]:
        """The claims of ``keys`` that are in the corpus, their keys and vectors."""
        return self.snapshot().entries(keys)

    def claims_of(self, keys: Iterable[int]) -> dict[int, Claim]:
        return self.snapshot().claims_of(keys)

    def common_cues(self) -> frozenset[str]:
        return self.snapshot().common_cues
