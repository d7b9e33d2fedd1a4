"""FactChecker: the engine behind the CLI, the API and the nightly evaluation.

articles → claims → embeddings (stored) → vector index → candidate pairs → NLI → results.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from models.embedder import Embedder
from models.nli import NLI_LABELS
from service.articles import MAX_ARTICLE_CHARS, Article, make_article
from service.claims import CLAIMS_VERSION, Claim, extract_claims
from service.corpus import CorpusStore, StoredClaim
from service.index import ClaimIndex
from service.pairing import candidate_pairs
from service.verdicts import (
    Contradiction,
    Evidence,
    Verdict,
    aggregate_verdict,
    label_of,
    same_topic,
    topic_cues,
)

logger = logging.getLogger(__name__)

#: (premise, hypothesis) pairs → float32 ``[n, 3]`` probabilities in NLI_LABELS order.
PairScorer = Callable[[Sequence[tuple[str, str]]], np.ndarray]

MAX_CLAIM_CHARS = 2_000


class InvalidInput(ValueError):
    """A claim or text the engine cannot check (empty, too long...)."""


@dataclass(frozen=True)
class IngestResult:
    article_id: str
    added: bool
    claims: int
    source: str | None = None


@dataclass(frozen=True)
class FlaggedSentence:
    """A sentence of a submitted text that the corpus contradicts or supports."""

    verdict: Verdict
    start: int
    end: int


@dataclass(frozen=True)
class EngineParams:
    """Retrieval and decision parameters (plain values taken from Settings)."""

    top_k: int = 8
    min_similarity: float = 0.45
    duplicate_similarity: float = 0.97
    topic_similarity: float = 0.5
    decision_threshold: float = 0.5
    max_claim_chars: int = MAX_CLAIM_CHARS
    max_text_chars: int = MAX_ARTICLE_CHARS


def embed_claims(embedder: Embedder, claims: Sequence[Claim]) -> np.ndarray:
    """Unit vectors ``[len(claims), dim]`` for retrieval.

    A claim split from a quotation (``claim.context``) is embedded as the normalised mean of
    its own vector and its quotation's: "We have channels opened for sharing information."
    alone says nothing of who shares with whom, so on its own vector it would not be found
    next to the rebuttal it contradicts.
    """
    vectors = embedder.embed([c.text for c in claims])
    quoted = [i for i, c in enumerate(claims) if c.context]
    if quoted:
        # the sentences of one quotation share it: embed each quotation once
        contexts = list(dict.fromkeys(claims[i].context for i in quoted))
        context_vectors = embedder.embed(contexts)
        row = {context: k for k, context in enumerate(contexts)}
        mixed = vectors[quoted] + context_vectors[[row[claims[i].context] for i in quoted]]
        vectors[quoted] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    return vectors


def score_both_directions(scorer: PairScorer, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """Score each pair as (a, b) and (b, a) in one batch, identical pairs only once.

    :returns: float32 ``[len(pairs), 2, 3]``: direction a→b then b→a.
    """
    unique: dict[tuple[str, str], int] = {}
    for a, b in pairs:
        unique.setdefault((a, b), len(unique))
        unique.setdefault((b, a), len(unique))
    probs = scorer(list(unique)) if unique else np.zeros((0, 3), np.float32)
    out = np.zeros((len(pairs), 2, 3), dtype=np.float32)
    for i, (a, b) in enumerate(pairs):
        out[i, 0] = probs[unique[(a, b)]]
        out[i, 1] = probs[unique[(b, a)]]
    return out


def require_text(value: object, what: str, limit: int) -> str:
    """Return ``value`` if it is a non-blank string of at most ``limit`` characters.

    :raises InvalidInput: naming ``what`` and the problem.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} is empty")
    if len(value) > limit:
        raise InvalidInput(f"{what} is {len(value):,} characters long; the limit is {limit:,}")
    return value


class FactChecker:
    """The engine: a corpus store, an embedder, a vector index and an NLI pair scorer.

    :param store: where articles, claims and embeddings persist.
    :param embedder: sentence embedder (the same one that built ``store``).
    :param scorer: NLI pair scorer, e.g. ``NliModel.predict_pairs`` or a cached wrapper.
    """

    def __init__(
        self,
        store: CorpusStore,
        embedder: Embedder,
        scorer: PairScorer,
        params: EngineParams | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.scorer = scorer
        self.params = params or EngineParams()
        self._lock = threading.RLock()
        self._claims: list[StoredClaim] = []
        self._vectors = np.zeros((0, 0), np.float32)
        self._titles: dict[str, str | None] = {}
        self._index: ClaimIndex | None = None
        self._contradictions: tuple[str, list[Contradiction]] | None = None
        self._version = ""

    # -- corpus -----------------------------------------------------------------------

    def warm_up(self) -> FactChecker:
        """Load the stored corpus into the vector index (idempotent)."""
        with self._lock:
            if self._index is None:
                self._reload()
        return self

    def _reload(self) -> None:
        if self.store.claims_version != CLAIMS_VERSION:
            self._reextract()
        self._claims, self._vectors = self.store.load_claims()
        dim = self._vectors.shape[1] if len(self._claims) else self.embedder.dim
        self._index = ClaimIndex(dim)
        self._index.add(np.array([c.key for c in self._claims], dtype=np.int64), self._vectors)
        self._titles = {a.id: a.title for a in self._iter_articles()}
        self._version = self.store.version()
        logger.info("corpus: %d articles, %d claims", len(self._titles), len(self._claims))

    def _reextract(self) -> None:
        """Re-extract and re-embed the claims of a store written by an older claim
        extractor; the articles themselves are kept as they are."""
        articles = list(self._iter_articles())
        logger.info(
            "claim extraction changed (version %s -> %s): re-extracting %d articles",
            self.store.claims_version,
            CLAIMS_VERSION,
            len(articles),
        )
        for article in articles:
            claims = extract_claims(article.id, article.text)
            self.store.replace_claims(article.id, claims, embed_claims(self.embedder, claims))
        self.store.claims_version = CLAIMS_VERSION

    def _iter_articles(self) -> Iterable[Article]:
        offset = 0
        while batch := self.store.list_articles(limit=500, offset=offset):
            yield from batch
            offset += len(batch)

    def refresh(self) -> bool:
        """Reload the index if another process (a second server worker, ``factcheck ingest``)
        changed the stored corpus. Costs one query over the article ids.

        :returns: whether the corpus had changed.
        """
        self.warm_up()
        if self.store.version() == self._version:
            return False
        with self._lock:
            if self.store.version() == self._version:
                return False
            self._reload()
            return True

    @property
    def version(self) -> str:
        """Changes whenever the corpus changes (part of every cache key)."""
        self.warm_up()
        return self._version

    @property
    def claim_count(self) -> int:
        self.warm_up()
        return len(self._claims)

    def ingest(self, articles: Iterable[Article]) -> list[IngestResult]:
        """Add articles; already-stored ones (same content hash) are left as they are."""
        self.warm_up()
        results = []
        for article in articles:
            if article.id in self.store:
                results.append(IngestResult(article.id, False, 0, article.source))
                continue
            claims = extract_claims(article.id, article.text)
            vectors = embed_claims(self.embedder, claims)
            with self._lock:
                added = self.store.add(article, claims, vectors)
                if added:
                    self._reload()
            results.append(
                IngestResult(article.id, added, len(claims) if added else 0, article.source)
            )
        return results

    def ingest_text(self, text: str, **metadata: str | None) -> IngestResult:
        article = make_article(text, max_chars=self.params.max_text_chars, **metadata)
        return self.ingest([article])[0]

    def delete(self, article_id: str) -> bool:
        with self._lock:
            deleted = self.store.delete(article_id)
            if deleted:
                self._reload()
            return deleted

    # -- checking claims --------------------------------------------------------------

    def _common_cues(self) -> frozenset[str]:
        """Names and numbers found in more than half of the articles (e.g. the corpus's main
        countries): sharing them says little about two sentences being on the same event."""
        per_article: dict[str, set[str]] = {}
        for stored in self._claims:
            per_article.setdefault(stored.claim.article_id, set()).update(
                topic_cues(stored.claim.text)
            )
        counts = Counter(cue for cues in per_article.values() for cue in cues)
        n_articles = max(len(per_article), 1)
        return frozenset(cue for cue, count in counts.items() if count > n_articles / 2)

    def _evidence_for(
        self,
        texts: Sequence[str],
        vectors: np.ndarray,
        top_k: int,
        min_similarity: float,
        contexts: Sequence[str | None] | None = None,
    ) -> list[list[Evidence]]:
        """Retrieve and NLI-score evidence for each query sentence, in one NLI batch.

        :param contexts: per sentence, the quotation it was split from (or ``None``); the
            topic check reads it.
        """
        assert self._index is not None
        position = {c.key: c.claim for c in self._claims}
        keys, sims = self._index.search(vectors, top_k)
        hits: list[list[tuple[Claim, float]]] = []
        for row_keys, row_sims in zip(keys, sims):
            hits.append(
                [
                    (position[int(k)], float(s))
                    for k, s in zip(row_keys, row_sims)
                    if k >= 0 and s >= min_similarity
                ]
            )
        pairs = [(claim.text, text) for text, row in zip(texts, hits) for claim, _ in row]
        probs = self.scorer(pairs) if pairs else np.zeros((0, 3), np.float32)
        common = self._common_cues()
        out, cursor = [], 0
        contexts = contexts or [None] * len(texts)
        for text, row, own_context in zip(texts, hits, contexts):
            context = own_context or text
            evidence = []
            for claim, sim in row:
                p = dict(zip(NLI_LABELS, map(float, probs[cursor])))
                cursor += 1
                evidence.append(
                    Evidence(
                        claim=claim,
                        title=self._titles.get(claim.article_id),
                        similarity=round(sim, 4),
                        probabilities={k: round(v, 4) for k, v in p.items()},
                        on_topic=same_topic(
                            claim.context or claim.text,
                            context,
                            sim,
                            common_cues=common,
                            topic_similarity=self.params.topic_similarity,
                        ),
                    )
                )
            out.append(evidence)
        return out

    def check(
        self, claim: str, top_k: int | None = None, min_similarity: float | None = None
    ) -> Verdict:
        """Verdict on one claim against the corpus.

        :raises InvalidInput: empty claim, or longer than ``max_claim_chars``.
        """
        claim = require_text(claim, "claim", self.params.max_claim_chars).strip()
        top_k = self.params.top_k if top_k is None else top_k
        min_similarity = self.params.min_similarity if min_similarity is None else min_similarity
        self.warm_up()
        vector = self.embedder.embed([claim])
        with self._lock:
            evidence = self._evidence_for([claim], vector, top_k, min_similarity)[0]
        return aggregate_verdict(claim, evidence, decision_threshold=self.params.decision_threshold)

    def flag(
        self, text: str, top_k: int | None = None, min_similarity: float | None = None
    ) -> list[FlaggedSentence]:
        """The sentences of ``text`` that the corpus contradicts or supports, with their
        character offsets in ``text``."""
        require_text(text, "text", self.params.max_text_chars)
        top_k = self.params.top_k if top_k is None else top_k
        min_similarity = self.params.min_similarity if min_similarity is None else min_similarity
        self.warm_up()
        sentences = extract_claims("submitted", text)
        if not sentences:
            return []
        vectors = embed_claims(self.embedder, sentences)
        with self._lock:
            evidence = self._evidence_for(
                [s.text for s in sentences],
                vectors,
                top_k,
                min_similarity,
                contexts=[s.context for s in sentences],
            )
        flagged = []
        for sentence, ev in zip(sentences, evidence):
            verdict = aggregate_verdict(
                sentence.text, ev, decision_threshold=self.params.decision_threshold
            )
            if verdict.verdict != "not_enough_info":
                flagged.append(FlaggedSentence(verdict, sentence.start, sentence.end))
        return flagged

    # -- corpus-wide contradictions ---------------------------------------------------

    def contradictions(self, top: int | None = None) -> list[Contradiction]:
        """Contradicting claim pairs across the corpus, most probable first.

        Computed once per corpus version: candidate pairs from the vector index (at most
        n·k), each scored in both directions; a pair counts when the more contradicting
        direction's most probable label is contradiction and the two claims are on the same
        topic (:func:`service.verdicts.same_topic`).
        """
        self.warm_up()
        with self._lock:
            if self._contradictions is None or self._contradictions[0] != self._version:
                self._contradictions = (self._version, self._find_contradictions())
            found = self._contradictions[1]
        return found if top is None else found[:top]

    def candidate_pairs(self):
        self.warm_up()
        claims = [c.claim for c in self._claims]
        return candidate_pairs(
            claims,
            self._vectors,
            self._index,
            [c.key for c in self._claims],
            k=self.params.top_k,
            min_similarity=self.params.min_similarity,
            duplicate_similarity=self.params.duplicate_similarity,
        )

    def _find_contradictions(self) -> list[Contradiction]:
        pairs, _groups = self.candidate_pairs()
        claims = [c.claim for c in self._claims]
        texts = [(claims[p.a].text, claims[p.b].text) for p in pairs]
        probs = score_both_directions(self.scorer, texts)
        common = self._common_cues()
        found = []
        for pair, both in zip(pairs, probs):
            direction = int(np.argmax(both[:, 2]))
            p = {k: round(float(v), 4) for k, v in zip(NLI_LABELS, both[direction])}
            if label_of(p) != "contradiction":
                continue
            a, b = claims[pair.a], claims[pair.b]
            if not same_topic(
                a.context or a.text,
                b.context or b.text,
                pair.similarity,
                common_cues=common,
                topic_similarity=self.params.topic_similarity,
            ):
                continue
            if direction == 1:
                a, b = b, a
            found.append(
                Contradiction(
                    a,
                    b,
                    self._titles.get(a.article_id),
                    self._titles.get(b.article_id),
                    round(pair.similarity, 4),
                    p,
                )
            )
        found.sort(key=lambda c: -c.contradiction)
        return found
