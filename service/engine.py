"""FactChecker: retrieval, NLI and verdicts over the live corpus.

articles → claims → embeddings (stored) → vector index → candidate pairs → NLI → results.
The transport-neutral API that the routes and commands call is :mod:`service.checks`; this
is the engine behind it.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from models.embedder import Embedder
from models.labels import LABEL2ID
from service.articles import MAX_ARTICLE_CHARS, Article, make_article
from service.claims import CLAIMS_VERSION, Claim, extract_claims
from service.inputs import MAX_CLAIM_CHARS, require_text
from service.live_corpus import Hit, LiveCorpus, Snapshot
from service.pairing import CandidatePair, DuplicateGroups, candidate_pairs, may_pair
from service.scoring import PairScorer, probabilities, score_both_directions
from service.store.corpus import CorpusStore, SweptPair
from service.topics import COMMON_CUE_SHARE, same_topic
from service.vectors import embed_claims
from service.verdicts import Contradiction, Evidence, Verdict, aggregate_verdict, label_of

logger = logging.getLogger(__name__)

_CONTRADICTION = LABEL2ID["contradiction"]
_ENTAILMENT = LABEL2ID["entailment"]


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
    topic_common_cue_share: float = COMMON_CUE_SHARE
    decision_threshold: float = 0.5
    max_claim_chars: int = MAX_CLAIM_CHARS
    max_text_chars: int = MAX_ARTICLE_CHARS
    sweep_batch_claims: int = 64


def pair_label(both: np.ndarray) -> tuple[str, int]:
    """The label of a pair scored in both directions (``[2, 3]``: a→b, b→a) and the
    direction it is read from: contradiction when the more contradicting direction's most
    probable label is contradiction (the rule the contradictions have always used); else
    entailment when either direction's is entailment (the more entailing one); else
    neutral, read in the more contradicting direction."""
    contra = int(np.argmax(both[:, _CONTRADICTION]))
    if label_of(probabilities(both[contra])) == "contradiction":
        return "contradiction", contra
    entail = int(np.argmax(both[:, _ENTAILMENT]))
    if label_of(probabilities(both[entail])) == "entailment":
        return "entailment", entail
    return "neutral", contra


class FactChecker:
    """The engine: a corpus store, an embedder, the live corpus and an NLI pair scorer.

    A check or a flag reads one immutable :class:`~service.live_corpus.Snapshot` of the
    corpus from start to end and takes no lock: an article being ingested never holds up a
    check, and a check never holds up an ingest.

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
        self._corpus: LiveCorpus | None = None
        self._warm_lock = threading.Lock()
        self._sweep_lock = threading.Lock()

    # -- corpus -----------------------------------------------------------------------

    @property
    def corpus(self) -> LiveCorpus:
        """The live corpus (loaded on first use)."""
        return self.warm_up()._corpus  # type: ignore[return-value]

    def warm_up(self) -> FactChecker:
        """Load the stored corpus into memory and the vector index (idempotent); a store
        written by an older claim extractor is re-extracted first."""
        if self._corpus is None:
            with self._warm_lock:
                if self._corpus is None:
                    if self.store.claims_version != CLAIMS_VERSION:
                        self._reextract()
                    self._corpus = LiveCorpus(
                        self.store,
                        self.embedder.dim,
                        common_cue_share=self.params.topic_common_cue_share,
                    ).load()
        return self

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

    def refresh(self, *, wait: bool = True) -> bool:
        """Catch up with articles another process (a second server worker, ``factcheck
        ingest``) added or deleted. Costs one row read when nothing changed.

        :param wait: ``False`` for requests: never wait for a writer of this process (see
            :meth:`LiveCorpus.sync <service.live_corpus.LiveCorpus.sync>`).
        :returns: whether the corpus had changed.
        """
        return self.corpus.sync(wait=wait)

    def snapshot(self) -> Snapshot:
        """The corpus as it is now, immutable: what one request reads from start to end."""
        return self.corpus.snapshot()

    @property
    def version(self) -> str:
        """Changes whenever the corpus changes (part of every cache key)."""
        return self.corpus.version

    @property
    def claim_count(self) -> int:
        return self.corpus.claim_count

    def ingest(self, articles: Iterable[Article]) -> list[IngestResult]:
        """Add articles; already-stored ones (same content hash) are left as they are.

        Each article's claims are extracted and embedded without any lock, then stored and
        indexed in one short step: the cost of an article does not grow with the corpus.
        """
        corpus = self.corpus
        results = []
        for article in articles:
            if article.id in self.store:
                results.append(IngestResult(article.id, False, 0, article.source))
                continue
            claims = extract_claims(article.id, article.text)
            vectors = embed_claims(self.embedder, claims)
            added = corpus.add(article, claims, vectors)
            results.append(
                IngestResult(article.id, added, len(claims) if added else 0, article.source)
            )
        return results

    def ingest_text(self, text: str, **metadata: str | None) -> IngestResult:
        article = make_article(text, max_chars=self.params.max_text_chars, **metadata)
        return self.ingest([article])[0]

    def delete(self, article_id: str) -> bool:
        """Remove an article and its claims. :returns: whether it existed."""
        return self.corpus.delete(article_id)

    # -- checking claims --------------------------------------------------------------

    def _evidence_for(
        self,
        texts: Sequence[str],
        vectors: np.ndarray,
        top_k: int,
        min_similarity: float,
        snapshot: Snapshot,
        contexts: Sequence[str | None] | None = None,
    ) -> list[list[Evidence]]:
        """Retrieve and NLI-score evidence for each query sentence, in one NLI batch.

        :param snapshot: the corpus version to read (retrieval, titles and topic cues).
        :param contexts: per sentence, the quotation it was split from (or ``None``); the
            topic check reads it.
        """
        hits = snapshot.retrieve(vectors, top_k, min_similarity)
        common = snapshot.common_cues
        pairs = [(hit.claim.text, text) for text, row in zip(texts, hits) for hit in row]
        probs = self.scorer(pairs) if pairs else np.zeros((0, 3), np.float32)
        rows = iter(probs)
        contexts = contexts or [None] * len(texts)
        return [
            [self._evidence(hit, next(rows), own_context or text, common) for hit in row]
            for text, row, own_context in zip(texts, hits, contexts)
        ]

    def _evidence(
        self, hit: Hit, row: np.ndarray, context: str, common: frozenset[str]
    ) -> Evidence:
        return Evidence(
            claim=hit.claim,
            title=hit.title,
            similarity=round(hit.similarity, 4),
            probabilities={k: round(v, 4) for k, v in probabilities(row).items()},
            on_topic=same_topic(
                hit.claim.context or hit.claim.text,
                context,
                hit.similarity,
                common_cues=common,
                topic_similarity=self.params.topic_similarity,
            ),
        )

    def check(
        self,
        claim: str,
        top_k: int | None = None,
        min_similarity: float | None = None,
        *,
        snapshot: Snapshot | None = None,
    ) -> Verdict:
        """Verdict on one claim against the corpus.

        :param snapshot: the corpus version to check against (default: the current one).
        :raises InvalidInput: empty claim, or longer than ``max_claim_chars``.
        """
        claim = require_text(claim, "claim", self.params.max_claim_chars).strip()
        top_k = self.params.top_k if top_k is None else top_k
        min_similarity = self.params.min_similarity if min_similarity is None else min_similarity
        vector = self.embedder.embed([claim])
        snapshot = snapshot or self.snapshot()
        evidence = self._evidence_for([claim], vector, top_k, min_similarity, snapshot)[0]
        return aggregate_verdict(claim, evidence, decision_threshold=self.params.decision_threshold)

    def flag(
        self,
        text: str,
        top_k: int | None = None,
        min_similarity: float | None = None,
        *,
        snapshot: Snapshot | None = None,
    ) -> list[FlaggedSentence]:
        """The sentences of ``text`` that the corpus contradicts or supports, with their
        character offsets in ``text``.

        :param snapshot: the corpus version to check against (default: the current one).
        """
        require_text(text, "text", self.params.max_text_chars)
        return self.flag_sentences(
            extract_claims("submitted", text), top_k, min_similarity, snapshot=snapshot
        )

    def flag_sentences(
        self,
        sentences: Sequence[Claim],
        top_k: int | None = None,
        min_similarity: float | None = None,
        *,
        snapshot: Snapshot | None = None,
    ) -> list[FlaggedSentence]:
        """:meth:`flag` for a text already split into sentences (offsets into the text)."""
        top_k = self.params.top_k if top_k is None else top_k
        min_similarity = self.params.min_similarity if min_similarity is None else min_similarity
        if not sentences:
            return []
        vectors = embed_claims(self.embedder, sentences)
        evidence = self._evidence_for(
            [s.text for s in sentences],
            vectors,
            top_k,
            min_similarity,
            snapshot or self.snapshot(),
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

    def contradictions(
        self, top: int | None = None, *, label: str | None = "contradiction"
    ) -> list[Contradiction]:
        """Contradicting claim pairs across the corpus, most probable first: the sweep run
        to the end here and now (what the command line does), then read from the store.
        The API never calls this in a request; it reads :meth:`stored_contradictions` while
        a :class:`~service.sweep.Sweeper` runs :meth:`sweep` in the background.

        :param label: list the scored pairs with another label instead (``None``: every
            scored pair); see :meth:`stored_pairs`.
        """
        self.refresh()
        self.sweep()
        found = self.stored_pairs(label)
        return found if top is None else found[:top]

    def stored_contradictions(self) -> list[Contradiction]:
        """The contradictions the sweep has stored so far, most probable first; a
        near-duplicate pair (same two sentences from other articles) is listed once."""
        return self.stored_pairs("contradiction")

    def stored_pairs(self, label: str | None = "contradiction") -> list[Contradiction]:
        """The pairs the sweep has scored so far with ``label`` (``None``: all), most
        probable for that label first (all: most contradicting first), each with its label
        and topic gate. ``contradiction`` lists the contradictions (on the same topic);
        the other labels list every candidate pair so labelled, on the same topic or not.
        A near-duplicate pair (same two sentences from other articles) is listed once."""
        found, seen = [], set()
        for row in self.store.swept_pairs(label):
            (a, title_a), (b, title_b), similarity, probs, pair_label, on_topic = row
            texts = frozenset((" ".join(a.text.split()), " ".join(b.text.split())))
            if texts in seen:
                continue
            seen.add(texts)
            p = {k: round(v, 4) for k, v in probabilities(probs).items()}
            found.append(
                Contradiction(a, b, title_a, title_b, round(similarity, 4), p, pair_label, on_topic)
            )
        return found

    def sweep(self, *, background: bool = False, stop: threading.Event | None = None) -> int:
        """Pair every claim the sweep has not seen yet with the corpus, one unit of work
        (:meth:`sweep_batch`) at a time, each recorded in the store when done, so an
        interrupted sweep resumes where it stopped. One sweep runs at a time per process.

        :param background: give way to requests in the scoring pool.
        :param stop: set to stop after the current unit.
        :returns: the claims swept.
        """
        done = 0
        with self._sweep_lock:
            while not (stop is not None and stop.is_set()):
                keys = self.store.unswept_keys(self.params.sweep_batch_claims)
                if not keys:
                    break
                known = self.snapshot().claims_of(keys)
                if len(known) < len(keys):
                    # Claims another process stored since this one last looked: catch up,
                    # and never mark a claim swept that was not paired.
                    self.refresh()
                    known = self.snapshot().claims_of(keys)
                    if not known:
                        break
                keys = [k for k in keys if k in known]
                self.store.save_sweep(keys, self.sweep_batch(keys, background=background))
                done += len(keys)
        return done

    def sweep_batch(self, keys: Sequence[int], *, background: bool = False) -> list[SweptPair]:
        """One unit of the corpus-wide sweep: the contradictions between the claims
        ``keys`` and the rest of the corpus. Inputs (claim keys) and outputs
        (:class:`~service.store.corpus.SweptPair`) are plain rows of the store, so a unit
        can run anywhere that has the corpus.

        Each claim proposes its ``top_k`` most similar claims (not near-duplicates, and
        :func:`~service.pairing.may_pair`); each pair is scored in both directions and
        every pair is returned with its label (:func:`pair_label`) and topic gate
        (:func:`same_topic`); it is a contradiction when labelled so and on the same
        topic. Only pairs that involve ``keys`` are scored: adding claims never re-scores
        old pairs.
        """
        params = self.params
        corpus = self.snapshot()  # one version for the whole unit
        known, claims, vectors = corpus.entries(keys)
        if not known:
            return []
        fetch = min(max(corpus.claim_count, 1), 3 * params.top_k + 1)
        neighbour_keys, sims = corpus.search(vectors, fetch)
        neighbours = corpus.claims_of({int(k) for k in neighbour_keys.ravel() if k >= 0})
        common = corpus.common_cues
        candidates: dict[tuple[int, int], tuple[Claim, Claim, int, int, float]] = {}
        for key, claim, row_keys, row_sims in zip(known, claims, neighbour_keys, sims):
            proposed = 0
            for other_key, sim in zip(row_keys, row_sims):
                if proposed >= params.top_k or sim < params.min_similarity:
                    break
                other = neighbours.get(int(other_key))
                if other is None or int(other_key) == key or sim >= params.duplicate_similarity:
                    continue
                if not may_pair(claim, other):
                    continue
                proposed += 1
                pair = (min(key, int(other_key)), max(key, int(other_key)))
                candidates.setdefault(pair, (claim, other, key, int(other_key), float(sim)))
        rows = list(candidates.values())
        scorer = self.scorer
        if background and getattr(scorer, "gate", None) is not None:
            scorer = functools.partial(scorer, background=True)
        probs = score_both_directions(scorer, [(r[0].text, r[1].text) for r in rows])
        found = []
        for (a, b, key_a, key_b, similarity), both in zip(rows, probs):
            label, direction = pair_label(both)
            on_topic = same_topic(
                a.context or a.text,
                b.context or b.text,
                similarity,
                common_cues=common,
                topic_similarity=params.topic_similarity,
            )
            premise, hypothesis = (key_a, key_b) if direction == 0 else (key_b, key_a)
            found.append(
                SweptPair(
                    premise,
                    hypothesis,
                    similarity,
                    tuple(float(x) for x in both[direction]),
                    label,
                    on_topic,
                )
            )
        return found

    def candidate_pairs(
        self, snapshot: Snapshot | None = None
    ) -> tuple[list[CandidatePair], DuplicateGroups]:
        """Candidate pairs of the corpus (or of ``snapshot``); positions index its claims."""
        snapshot = snapshot or self.snapshot()
        return candidate_pairs(
            snapshot.claims,
            snapshot.vectors,
            snapshot,
            snapshot.keys,
            k=self.params.top_k,
            min_similarity=self.params.min_similarity,
            duplicate_similarity=self.params.duplicate_similarity,
        )
