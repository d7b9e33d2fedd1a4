"""LiveCorpus: the corpus as retrieval reads it, in memory, kept in step with the store.

It holds the claims by key, their vectors in the nearest-neighbour index, the article
titles, the topic-cue counts and the corpus version. The store is read whole once, at
start-up; after that, adding or deleting an article changes only that article's entries
(never a reload of the corpus), and articles that another process added or deleted (a
second server worker, ``factcheck ingest``) are caught up by :meth:`LiveCorpus.sync`, also
article by article.

One lock guards it, held only briefly: by a writer to store and apply an article that it
embedded beforehand, by a reader to search the index. Embedding and NLI never run under it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from service.articles import Article
from service.claims import Claim
from service.store.corpus import CorpusStore, id_hash
from service.store.index import ClaimIndex
from service.topics import COMMON_CUE_SHARE, CueCounts

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    """A corpus claim retrieved for a query, with its cosine similarity to it."""

    claim: Claim
    title: str | None
    similarity: float


@dataclass(frozen=True)
class Snapshot:
    """The corpus at one version, for a corpus-wide sweep: taken under the lock, read
    without it. ``vectors[i]`` (float32 ``[n, dim]``) and ``keys[i]`` belong to ``claims[i]``,
    in key order."""

    version: str
    keys: list[int]
    claims: list[Claim]
    vectors: np.ndarray
    titles: dict[str, str | None]
    common_cues: frozenset[str]


class LiveCorpus:
    """The in-memory side of a :class:`~service.store.corpus.CorpusStore`.

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
        self._lock = threading.RLock()
        self._loaded = False
        self._titles: dict[str, str | None] = {}
        self._keys_of: dict[str, list[int]] = {}
        self._claims: dict[int, Claim] = {}
        self._vectors: dict[int, np.ndarray] = {}
        self._index = ClaimIndex(dim)
        self._cues = CueCounts(common_cue_share)
        self._ids_digest = 0
        self._version = store.version_of(0)

    # -- loading and catching up --------------------------------------------------------

    def load(self) -> LiveCorpus:
        """Read the stored corpus once (idempotent)."""
        with self._lock:
            if self._loaded:
                return self
            self._add_from_store(self.store.titles(), None)
            self._loaded = True
            logger.info("corpus: %d articles, %d claims", len(self._titles), len(self._claims))
        return self

    def sync(self) -> bool:
        """Catch up with articles another process added or deleted. Costs one row read
        when nothing changed; otherwise reads the ids and only the new articles' claims.

        :returns: whether the corpus had changed.
        """
        self.load()
        if self.store.version() == self._version:
            return False
        with self._lock:
            stored = self.store.article_ids()
            known = set(self._titles)
            new, gone = stored - known, known - stored
            for article_id in gone:
                self._remove(article_id)
            if new:
                self._add_from_store(self.store.titles(new), new)
            if new or gone:
                logger.info("corpus changed elsewhere: %d added, %d deleted", len(new), len(gone))
            return bool(new or gone)

    def _add_from_store(self, titles: dict[str, str | None], article_ids: set[str] | None) -> None:
        stored, vectors = self.store.load_claims(article_ids)
        rows: dict[str, list[int]] = {article_id: [] for article_id in titles}
        for row, s in enumerate(stored):
            rows.setdefault(s.claim.article_id, []).append(row)
        for article_id, article_rows in rows.items():
            self._apply(
                article_id,
                titles.get(article_id),
                [stored[r].claim for r in article_rows],
                [stored[r].key for r in article_rows],
                vectors[article_rows] if article_rows else np.zeros((0, self.dim), np.float32),
            )

    # -- writes ---------------------------------------------------------------------------

    def add(self, article: Article, claims: Sequence[Claim], vectors: np.ndarray) -> bool:
        """Store an article with its claims and their vectors ``[len(claims), dim]`` (computed
        by the caller beforehand, without the lock), then index them.

        :returns: ``False`` (and nothing changes) if the article is stored already.
        """
        self.load()
        with self._lock:
            keys = self.store.add(article, list(claims), vectors)
            if keys is None:
                return False
            self._apply(article.id, article.title, claims, keys, vectors)
            return True

    def delete(self, article_id: str) -> bool:
        """Remove an article and its claims. :returns: whether it was stored."""
        self.load()
        with self._lock:
            deleted = self.store.delete(article_id)
            if deleted:
                self._remove(article_id)
            return deleted

    def _apply(
        self,
        article_id: str,
        title: str | None,
        claims: Sequence[Claim],
        keys: Sequence[int],
        vectors: np.ndarray,
    ) -> None:
        if article_id in self._titles:
            return
        vectors = np.asarray(vectors, dtype=np.float32)
        self._titles[article_id] = title
        self._keys_of[article_id] = list(keys)
        for key, claim, vector in zip(keys, claims, vectors):
            self._claims[key] = claim
            self._vectors[key] = vector
        self._index.add(np.asarray(keys, dtype=np.int64), vectors)
        self._cues.add(article_id, [c.text for c in claims])
        self._ids_digest ^= id_hash(article_id)
        self._version = self.store.version_of(self._ids_digest)

    def _remove(self, article_id: str) -> None:
        if article_id not in self._titles:
            return
        del self._titles[article_id]
        keys = self._keys_of.pop(article_id, [])
        for key in keys:
            del self._claims[key]
            del self._vectors[key]
        self._index.remove(keys)
        self._cues.remove(article_id)
        self._ids_digest ^= id_hash(article_id)
        self._version = self.store.version_of(self._ids_digest)

    # -- reads ----------------------------------------------------------------------------

    @property
    def version(self) -> str:
        """Changes whenever the corpus does; equal to the store's once in step."""
        self.load()
        return self._version

    @property
    def claim_count(self) -> int:
        self.load()
        return len(self._claims)

    @property
    def article_count(self) -> int:
        self.load()
        return len(self._titles)

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`ClaimIndex.search <service.store.index.ClaimIndex.search>` under the lock."""
        self.load()
        with self._lock:
            return self._index.search(vectors, k)

    def retrieve(
        self, vectors: np.ndarray, top_k: int, min_similarity: float
    ) -> tuple[str, list[list[Hit]], frozenset[str]]:
        """The ``top_k`` nearest claims of each query vector at or above ``min_similarity``.

        :param vectors: float32 ``[n_queries, dim]``, L2-normalised.
        :returns: the corpus version searched, one list of hits per query (most similar
            first) and the corpus's common topic cues at that version.
        """
        self.load()
        with self._lock:
            keys, sims = self._index.search(vectors, top_k)
            hits = [
                [
                    Hit(claim, self._titles.get(claim.article_id), float(sim))
                    for key, sim in zip(row_keys, row_sims)
                    if key >= 0
                    and sim >= min_similarity
                    and (claim := self._claims.get(int(key))) is not None
                ]
                for row_keys, row_sims in zip(keys, sims)
            ]
            return self._version, hits, self._cues.common()

    def entries(self, keys: Sequence[int]) -> tuple[list[int], list[Claim], np.ndarray]:
        """The claims of ``keys`` that are in the corpus, their keys and vectors."""
        self.load()
        with self._lock:
            known = [int(k) for k in keys if int(k) in self._claims]
            claims = [self._claims[k] for k in known]
            vectors = (
                np.stack([self._vectors[k] for k in known])
                if known
                else np.zeros((0, self.dim), np.float32)
            )
        return known, claims, vectors

    def claims_of(self, keys: Sequence[int]) -> dict[int, Claim]:
        self.load()
        with self._lock:
            return {int(k): c for k in keys if (c := self._claims.get(int(k))) is not None}

    def common_cues(self) -> frozenset[str]:
        self.load()
        with self._lock:
            return self._cues.common()

    def snapshot(self) -> Snapshot:
        """The whole corpus at its current version (copies of the lists, O(claims))."""
        self.load()
        with self._lock:
            keys = sorted(self._claims)
            vectors = (
                np.stack([self._vectors[k] for k in keys])
                if keys
                else np.zeros((0, self.dim), np.float32)
            )
            return Snapshot(
                version=self._version,
                keys=keys,
                claims=[self._claims[k] for k in keys],
                vectors=vectors,
                titles=dict(self._titles),
                common_cues=self._cues.common(),
            )
