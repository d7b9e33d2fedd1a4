"""CheckService: the one transport-neutral API of the service.

Every REST route and every ``factcheck`` command is a thin adapter over one of its methods:
check a claim, flag a text, verify a claim against a document, score pairs, ingest / list /
get / delete articles, list the corpus-wide contradictions, report health. Plain values go
in, frozen dataclasses come out, and domain errors (:mod:`service.errors`) are raised;
nothing here knows about HTTP, JSON schemas or click. The answer cache is applied here, so
``factcheck check`` and ``POST /check`` share one code path and one cache.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from models.labels import NLI_LABELS
from models.windows import Window, aggregate_windows, sentence_windows
from service.articles import Article, make_article
from service.claims import Claim, extract_claims
from service.engine import FactChecker
from service.errors import ArticleNotFound, InvalidInput, TooLarge
from service.inputs import (
    MAX_DOCUMENT_CHARS,
    MAX_VERIFY_CLAIM_CHARS,
    normalise_claim,
    require_text,
)
from service.live_corpus import Snapshot
from service.scoring import PairScorer, probabilities
from service.store.redis_cache import RedisCache, cache_key
from service.sweep import Sweeper, SweepState
from service.tokens import TokenBudget
from service.verdicts import Contradiction, Evidence, Verdict, VerdictLabel, decide, label_of

logger = logging.getLogger(__name__)

#: Part of every answer-cache key: bump when the cached value's shape changes.
CHECK_CACHE_FORMAT = 2
VERIFY_CACHE_FORMAT = 2

#: What ``contradictions(label=...)`` lists: one NLI label, or every scored pair.
PAIR_LABELS: tuple[str, ...] = ("contradiction", "entailment", "neutral", "any")

#: Windows ``verify`` reports per label (most entailing, most contradicting).
VERIFY_TOP_WINDOWS = 3
#: Widest window ``verify`` reads, in sentences.
MAX_WINDOW_SENTENCES = 3


@dataclass(frozen=True)
class ModelInfo:
    """The models behind an answer; ``version`` keys the caches."""

    nli: str
    embedder: str
    version: str


@dataclass(frozen=True)
class CheckResult:
    """A verdict on a claim, with the corpus version it was computed on."""

    verdict: Verdict
    model: ModelInfo
    corpus_version: str
    cached: bool


@dataclass(frozen=True)
class Flag:
    """A sentence of a submitted text (``text[start:end] == sentence``) that the corpus
    contradicts or supports, with the on-topic evidence behind the label, strongest first."""

    sentence: str
    start: int
    end: int
    label: str
    verdict: str
    probability: float
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class FlagResult:
    title: str | None
    flagged: tuple[Flag, ...]
    model: ModelInfo
    corpus_version: str


@dataclass(frozen=True)
class PairScore:
    """NLI probabilities of one (premise, hypothesis) pair and its most probable label."""

    label: str
    probabilities: dict[str, float]


@dataclass(frozen=True)
class PairScores:
    results: tuple[PairScore, ...]
    model: ModelInfo


@dataclass(frozen=True)
class DocumentWindow:
    """Consecutive sentences of a verified document (``document[start:end] == text``) with
    the NLI probabilities of (premise = the window, hypothesis = the claim)."""

    text: str
    start: int
    end: int
    probabilities: dict[str, float]


@dataclass(frozen=True)
class VerifyResult:
    """Whether a document supports a claim, read in sentence windows
    (:func:`models.windows.aggregate_windows`: max entailment, max contradiction).

    ``verdict`` and ``confidence`` follow the rule of ``/check``
    (:func:`service.verdicts.decide` at the engine's decision threshold): the strongest
    entailing window against the strongest contradicting one. ``label`` and
    ``probabilities`` are the document-level NLI reading behind it (calibrated, as the
    model's are); ``window`` is the window that decided them; ``top_entailment`` and
    ``top_contradiction`` are the windows most entailing and most contradicting the claim,
    strongest first.
    """

    claim: str
    verdict: VerdictLabel
    confidence: float
    label: str
    probabilities: dict[str, float]
    window: DocumentWindow
    top_entailment: tuple[DocumentWindow, ...]
    top_contradiction: tuple[DocumentWindow, ...]
    windows: int
    window_sentences: int
    model: ModelInfo
    cached: bool


@dataclass(frozen=True)
class Ingested:
    """An article as stored (the earlier copy when the same text was there already)."""

    article: Article
    added: bool
    claims: int


@dataclass(frozen=True)
class ArticlePage:
    articles: tuple[Article, ...]
    count: int


@dataclass(frozen=True)
class ContradictionPage:
    """``sweep``: how far the background sweep is (``None``: swept to the end here)."""

    contradictions: tuple[Contradiction, ...]
    count: int
    corpus_version: str
    sweep: SweepState | None = None


@dataclass(frozen=True)
class CorpusInfo:
    articles: int
    claims: int
    version: str


@dataclass(frozen=True)
class CacheInfo:
    backend: str
    url: str
    answers: bool


@dataclass(frozen=True)
class Health:
    """``degraded``: answers are computed, but Redis does not answer (nothing is cached),
    or the corpus store cannot take writes (``store`` says why)."""

    status: str
    model: ModelInfo
    corpus: CorpusInfo
    cache: CacheInfo | None
    store: str = "ok"


@dataclass(frozen=True)
class Limits:
    """Request limits (plain values taken from Settings)."""

    max_claim_chars: int = 2_000
    max_text_chars: int = 200_000
    max_pairs: int = 256
    max_flag_sentences: int = 3_000
    max_verify_claim_chars: int = MAX_VERIFY_CLAIM_CHARS
    max_document_chars: int = MAX_DOCUMENT_CHARS
    max_claim_tokens: int = 128
    max_verify_windows: int = 3_000


class CheckService:
    """What the service does, whatever the transport.

    :param engine: the fact-checking engine over the corpus.
    :param scorer: the NLI pair scorer (the engine's, behind the pair cache).
    :param cache: where answers are cached; ``None`` computes every answer.
    :param model: the models behind the answers (part of every cache key).
    :param tokens: measures texts as the NLI model reads them, for the token budgets
        (``None``: no token budget, texts are cut by the model as it reads them).
    """

    def __init__(
        self,
        engine: FactChecker,
        scorer: PairScorer,
        cache: RedisCache | None,
        model: ModelInfo,
        limits: Limits | None = None,
        sweeper: Sweeper | None = None,
        tokens: TokenBudget | None = None,
    ) -> None:
        self.engine = engine
        self.tokens = tokens
        self.sweeper = sweeper
        self.sweep_on_ingest = True
        self.scorer = scorer
        self.cache = cache
        self.model = model
        self.limits = limits or Limits()

    def _refresh(self) -> str:
        """Catch up with changes another process made to the stored corpus (one row read
        when there are none), so answers and cache keys follow the corpus as stored. Never
        waits for a writer of this process: the snapshot it has published is read."""
        return self._snapshot().version

    def _snapshot(self) -> Snapshot:
        """The corpus version one request reads from start to end (and keys its cache
        entry with): caught up with other processes, immutable, taken without a lock."""
        self.engine.refresh(wait=False)
        return self.engine.snapshot()

    def _claim_tokens(self, claim: str, field: tuple[str | int, ...] = ("claim",)) -> int:
        """The claim's length in tokens (0 without a token budget).

        :raises TokenLimit: longer than ``max_claim_tokens``.
        """
        if self.tokens is None:
            return 0
        return self.tokens.require(
            claim, "claim", self.limits.max_claim_tokens, "max_claim_tokens", field=field
        )

    def _in_windows(self, claims: list[Claim]) -> list[Claim]:
        """Sentences longer than ``max_claim_tokens`` cut into pieces that fit (each with
        its own offsets), so that no sentence is cut by the model as it reads it."""
        if self.tokens is None or not claims:
            return claims
        limit = self.limits.max_claim_tokens
        out = []
        for claim, tokens in zip(claims, self.tokens.counts([c.text for c in claims])):
            if tokens <= limit:
                out.append(claim)
                continue
            for span in self.tokens.windows(claim.text, limit):
                out.append(
                    replace(
                        claim,
                        text=claim.text[span.start : span.end],
                        start=claim.start + span.start,
                        end=claim.start + span.end,
                    )
                )
        return out

    # -- claims ---------------------------------------------------------------------------

    def check(
        self, claim: str, *, top_k: int | None = None, min_similarity: float | None = None
    ) -> CheckResult:
        """The verdict on a claim, from the cache when the same claim was checked with the
        same models, corpus version and parameters.

        :param claim: at most ``max_claim_chars`` characters; compared and cached after
            :func:`~service.inputs.normalise_claim`.
        :raises InvalidInput: the claim is empty or too long, or ``top_k`` is below 1.
        :raises TokenLimit: the claim is longer than ``max_claim_tokens``.
        """
        require_text(claim, "claim", self.limits.max_claim_chars)
        claim = normalise_claim(claim)
        self._claim_tokens(claim)
        if top_k is not None and top_k < 1:
            raise InvalidInput(f"top_k must be at least 1, got {top_k}", field=("top_k",))
        params = self.engine.params
        top_k = params.top_k if top_k is None else top_k
        min_similarity = params.min_similarity if min_similarity is None else min_similarity
        snapshot = self._snapshot()
        corpus_version = snapshot.version
        key = cache_key(
            "check",
            CHECK_CACHE_FORMAT,
            asdict(self.model),
            corpus_version,
            claim,
            top_k,
            min_similarity,
            asdict(params),
        )
        if self.cache is not None:
            cached = self.cache.get_json(key, "check")
            if cached is not None:
                try:
                    return CheckResult(_verdict_from_json(cached), self.model, corpus_version, True)
                except (KeyError, TypeError, ValueError):
                    logger.warning("unreadable answer in the cache; recomputing")
        verdict = self.engine.check(
            claim, top_k=top_k, min_similarity=min_similarity, snapshot=snapshot
        )
        if self.cache is not None:
            self.cache.set_json(key, asdict(verdict))
        return CheckResult(verdict, self.model, corpus_version, False)

    def flag(self, text: str, *, title: str | None = None) -> FlagResult:
        """The sentences of a draft that the corpus contradicts or supports, with their
        offsets in the draft and the corpus sentences behind each label. A sentence longer
        than ``max_claim_tokens`` is checked in pieces that fit, each flagged on its own.

        :raises InvalidInput: the text is empty or longer than ``max_text_chars``.
        :raises TooLarge: more than ``max_flag_sentences`` sentences (and pieces).
        """
        require_text(text, "text", self.limits.max_text_chars)
        sentences = self._in_windows(extract_claims("submitted", text))
        if len(sentences) > self.limits.max_flag_sentences:
            raise TooLarge(
                f"text has {len(sentences):,} sentences; the limit is "
                f"{self.limits.max_flag_sentences:,} a request (max_flag_sentences)",
                field=("text",),
            )
        snapshot = self._snapshot()
        threshold = self.engine.params.decision_threshold
        flags = []
        for f in self.engine.flag_sentences(sentences, snapshot=snapshot):
            label = "contradiction" if f.verdict.verdict == "refuted" else "entailment"
            behind = sorted(
                (
                    e
                    for e in f.verdict.evidence
                    if e.on_topic and e.probabilities[label] >= threshold
                ),
                key=lambda e: -e.probabilities[label],
            )
            flags.append(
                Flag(
                    sentence=f.verdict.claim,
                    start=f.start,
                    end=f.end,
                    label=label,
                    verdict=f.verdict.verdict,
                    probability=f.verdict.confidence,
                    evidence=tuple(behind),
                )
            )
        return FlagResult(title, tuple(flags), self.model, snapshot.version)

    def verify(self, claim: str, document: str, *, window_sentences: int = 1) -> VerifyResult:
        """Whether ``document`` (a press release, a report, an article) supports or refutes
        ``claim``, read in windows of up to ``window_sentences`` consecutive sentences; the
        answer cache applies as for :meth:`check`. Offsets index into ``document`` as given.

        A window longer than the model reads next to the claim is read in pieces that fit
        (each its own window, with its offsets).

        :raises InvalidInput: the claim or the document is empty (or only invisible
            characters) or too long, the document holds no sentence, or
            ``window_sentences`` is outside 1..3.
        :raises TokenLimit: the claim is longer than ``max_claim_tokens``.
        :raises TooLarge: the document gives more than ``max_verify_windows`` windows.
        """
        require_text(claim, "claim", self.limits.max_verify_claim_chars)
        require_text(document, "document", self.limits.max_document_chars)
        if not 1 <= window_sentences <= MAX_WINDOW_SENTENCES:
            raise InvalidInput(
                f"window_sentences must be 1 to {MAX_WINDOW_SENTENCES}, got {window_sentences}",
                field=("window_sentences",),
            )
        claim = normalise_claim(claim)
        claim_tokens = self._claim_tokens(claim)
        threshold = self.engine.params.decision_threshold
        key = cache_key(
            "verify",
            VERIFY_CACHE_FORMAT,
            asdict(self.model),
            threshold,
            claim,
            document,
            window_sentences,
        )
        if self.cache is not None:
            cached = self.cache.get_json(key, "verify")
            if cached is not None:
                try:
                    return _verify_from_json(cached, self.model)
                except (KeyError, TypeError, ValueError):
                    logger.warning("unreadable answer in the cache; recomputing")
        windows = sentence_windows(document, size=window_sentences)
        windows = self._fitting(document, windows, claim_tokens)
        if not windows:
            raise InvalidInput("document holds no sentence", field=("document",))
        if len(windows) > self.limits.max_verify_windows:
            raise TooLarge(
                f"document gives {len(windows):,} windows of up to {window_sentences} "
                f"sentences; the limit is {self.limits.max_verify_windows:,} a request "
                "(max_verify_windows): send a shorter document or fewer window_sentences",
                field=("document",),
            )
        probs = np.asarray(self.scorer([(w.text, claim) for w in windows]), dtype=np.float64)
        decision = aggregate_windows(windows, probs)
        verdict, confidence = decide(decision.max_entailment, decision.max_contradiction, threshold)
        result = VerifyResult(
            claim=claim,
            verdict=verdict,
            confidence=confidence,
            label=decision.label,
            probabilities=_rounded(decision.probabilities),
            window=_document_window(decision.window, probs[decision.window_index]),
            top_entailment=_top_windows(windows, probs, "entailment"),
            top_contradiction=_top_windows(windows, probs, "contradiction"),
            windows=len(windows),
            window_sentences=window_sentences,
            model=self.model,
            cached=False,
        )
        if self.cache is not None:
            self.cache.set_json(key, asdict(result))
        return result

    def _fitting(self, document: str, windows: list[Window], claim_tokens: int) -> list[Window]:
        """``windows`` with each one too long to read next to the claim cut into pieces
        that fit (offsets still into ``document``)."""
        if self.tokens is None or not windows:
            return windows
        room = self.tokens.room_beside(claim_tokens)
        out = []
        for window, tokens in zip(windows, self.tokens.counts([w.text for w in windows])):
            if tokens <= room:
                out.append(window)
                continue
            for span in self.tokens.windows(window.text, room):
                start, end = window.start + span.start, window.start + span.end
                out.append(Window(document[start:end], start, end))
        return out

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> PairScores:
        """NLI probabilities of each (premise, hypothesis) pair, in one batch through the
        pair cache.

        :raises InvalidInput: more than ``max_pairs`` pairs, or a text that is empty or
            longer than ``max_claim_chars``.
        :raises TokenLimit: a pair longer than the NLI model reads.
        """
        if len(pairs) > self.limits.max_pairs:
            raise InvalidInput(
                f"{len(pairs):,} pairs; the limit is {self.limits.max_pairs:,} a request",
                field=("pairs",),
            )
        limit = self.limits.max_claim_chars
        for i, (premise, hypothesis) in enumerate(pairs):
            require_text(premise, "premise", limit, field=("pairs", i, "premise"))
            require_text(hypothesis, "hypothesis", limit, field=("pairs", i, "hypothesis"))
        if self.tokens is not None:
            self.tokens.require_pairs(list(pairs), "pairs")
        rows = self.scorer(list(pairs)) if pairs else []
        results = []
        for row in rows:
            p = probabilities(row)
            results.append(PairScore(label=label_of(p), probabilities=p))
        return PairScores(tuple(results), self.model)

    # -- articles -------------------------------------------------------------------------

    def ingest(self, articles: Iterable[Article]) -> list[Ingested]:
        """Add articles, one at a time; posting the same text again changes nothing and
        returns the stored article."""
        self._refresh()
        out = []
        for article in articles:
            result = self.engine.ingest([article])[0]
            stored = self.engine.store.get_article(result.article_id)
            out.append(Ingested(stored or article, result.added, result.claims))
        if self.sweeper is not None and self.sweep_on_ingest and any(i.added for i in out):
            self.sweeper.kick()
        return out

    def ingest_text(
        self,
        text: str,
        *,
        title: str | None = None,
        url: str | None = None,
        published: str | None = None,
        outlet: str | None = None,
        source: str | None = None,
    ) -> Ingested:
        """Add one article given as text.

        :raises ArticleError: the text is empty, binary or longer than ``max_text_chars``.
        """
        article = make_article(
            text,
            title=title,
            url=url,
            published=published,
            outlet=outlet,
            source=source,
            max_chars=self.limits.max_text_chars,
        )
        return self.ingest([article])[0]

    def list_articles(self, *, limit: int = 50, offset: int = 0) -> ArticlePage:
        """Articles in the order they were added."""
        store = self.engine.store
        return ArticlePage(tuple(store.list_articles(limit, offset)), store.count_articles())

    def get_article(self, article_id: str) -> Article:
        """:raises ArticleNotFound: no article with this id."""
        article = self.engine.store.get_article(article_id)
        if article is None:
            raise ArticleNotFound(article_id)
        return article

    def article_urls(self, article_ids: Iterable[str]) -> dict[str, str | None]:
        """Article id → URL (``None`` when unknown or the article is gone)."""
        out = {}
        for article_id in article_ids:
            article = self.engine.store.get_article(article_id)
            out[article_id] = article.url if article else None
        return out

    def delete_article(self, article_id: str) -> None:
        """Remove an article and its claims.

        :raises ArticleNotFound: no article with this id.
        """
        self._refresh()
        if not self.engine.delete(article_id):
            raise ArticleNotFound(article_id)

    # -- the corpus -----------------------------------------------------------------------

    def contradictions(
        self,
        *,
        limit: int | None = None,
        offset: int = 0,
        wait_s: float | None = None,
        label: str = "contradiction",
    ) -> ContradictionPage:
        """A page of the corpus-wide contradictions, most probable first.

        :param wait_s: ``None``: run the sweep to the end first (the command line). A
            number (the API): never sweep here; wake the background sweeper, wait for it
            at most this long, and answer from the store with the sweep's state.
        :param label: ``contradiction`` (the contradictions), ``entailment`` or
            ``neutral`` (the scored pairs so labelled, most probable first, on the same
            topic or not), or ``any`` (every pair the sweep scored, most contradicting
            first): each pair carries its label and topic gate.
        :raises InvalidInput: another label.
        """
        if label not in PAIR_LABELS:
            raise InvalidInput(
                f"label must be one of {', '.join(PAIR_LABELS)}, got {label!r}", field=("label",)
            )
        wanted = None if label == "any" else label
        corpus_version = self._refresh()
        state = None
        if wait_s is None or self.sweeper is None:
            found = self.engine.contradictions(label=wanted)
        else:
            self.sweeper.kick()
            self.sweeper.wait(wait_s)
            state = self.sweeper.state()
            found = self.engine.stored_pairs(wanted)
        end = None if limit is None else offset + limit
        return ContradictionPage(tuple(found[offset:end]), len(found), corpus_version, state)

    def corpus_info(self) -> CorpusInfo:
        """Size and version of one snapshot of the corpus (so the three agree)."""
        snapshot = self._snapshot()
        return CorpusInfo(
            articles=snapshot.article_count,
            claims=snapshot.claim_count,
            version=snapshot.version,
        )

    def health(self) -> Health:
        """Models, corpus size and whether Redis answers (``degraded`` when it does not)."""
        corpus = self.corpus_info()
        cache = None
        if self.cache is not None:
            cache = CacheInfo(self.cache.backend, self.cache.display_url, self.cache.ping())
        store = self.engine.store.state()
        degraded = (cache is not None and not cache.answers) or store != "ok"
        return Health("degraded" if degraded else "ok", self.model, corpus, cache, store)


def _rounded(p) -> dict[str, float]:
    return {label: round(float(p[label]), 4) for label in NLI_LABELS}


def _document_window(window: Window, row: np.ndarray) -> DocumentWindow:
    return DocumentWindow(window.text, window.start, window.end, _rounded(probabilities(row)))


def _top_windows(windows: list[Window], probs: np.ndarray, label: str) -> tuple:
    """The windows most probable for ``label``, strongest first (ties: earlier first)."""
    column = probs[:, NLI_LABELS.index(label)]
    order = sorted(range(len(windows)), key=lambda i: (-column[i], i))[:VERIFY_TOP_WINDOWS]
    return tuple(_document_window(windows[i], probs[i]) for i in order)


def _verify_from_json(data: dict, model: ModelInfo) -> VerifyResult:
    """The inverse of ``dataclasses.asdict(result)`` after a JSON round trip."""

    def window(w: dict) -> DocumentWindow:
        return DocumentWindow(w["text"], w["start"], w["end"], dict(w["probabilities"]))

    return VerifyResult(
        claim=data["claim"],
        verdict=data["verdict"],
        confidence=data["confidence"],
        label=data["label"],
        probabilities=dict(data["probabilities"]),
        window=window(data["window"]),
        top_entailment=tuple(window(w) for w in data["top_entailment"]),
        top_contradiction=tuple(window(w) for w in data["top_contradiction"]),
        windows=data["windows"],
        window_sentences=data["window_sentences"],
        model=model,
        cached=True,
    )


def _verdict_from_json(data: dict) -> Verdict:
    """The inverse of ``dataclasses.asdict(verdict)`` after a JSON round trip."""
    return Verdict(
        claim=data["claim"],
        verdict=data["verdict"],
        confidence=data["confidence"],
        evidence=tuple(
            Evidence(
                claim=Claim(**e["claim"]),
                title=e["title"],
                similarity=e["similarity"],
                probabilities=dict(e["probabilities"]),
                on_topic=e["on_topic"],
            )
            for e in data["evidence"]
        ),
    )
