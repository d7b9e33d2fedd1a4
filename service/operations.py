"""What the REST API does, one function per endpoint; the routes only translate HTTP.

These functions raise domain errors (:class:`~service.engine.InvalidInput`,
:class:`~service.articles.ArticleError`), never HTTP exceptions.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict

from pydantic import ValidationError

from models.nli import NLI_LABELS
from service.cache import PairCache, RedisCache, cache_key
from service.claimreview import claim_review
from service.engine import FactChecker, InvalidInput, require_text
from service.schemas import (
    ArticleCreate,
    ArticleCreated,
    ArticlePublic,
    ArticlesPublic,
    ArticleSummary,
    CacheInfo,
    CheckRequest,
    CheckResponse,
    ContradictionPublic,
    ContradictionsPublic,
    CorpusInfo,
    EvidencePublic,
    FlaggedSentencePublic,
    FlagRequest,
    FlagResponse,
    HealthPublic,
    ModelInfo,
    PairResult,
    PairsRequest,
    PairsResponse,
    Probabilities,
    VerdictPublic,
)


class FieldError(InvalidInput):
    """Invalid input at a known place of the request, e.g. ``("body", "pairs", 3, "premise")``."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


def _require(value: str, loc: tuple[str | int, ...], limit: int) -> str:
    try:
        return require_text(value, str(loc[-1]), limit)
    except InvalidInput as exc:
        raise FieldError(loc, str(exc)) from None


def normalise_claim(claim: str) -> str:
    """NFC, whitespace runs collapsed to one space, stripped: the form that is checked and
    cached, so trivially different spellings of a claim share one cache entry."""
    return unicodedata.normalize("NFC", " ".join(claim.split()))


def refresh_if_stale(engine: FactChecker) -> None:
    """Reload the engine's index when another process (a second uvicorn worker, ``factcheck
    ingest``) changed the SQLite corpus this engine serves.

    Checked on each request: it costs one query over the article ids, and keeps both the
    answers and the corpus version in the cache keys current.
    """
    engine.refresh()


# -- /check --------------------------------------------------------------------------


def check_claim(
    engine: FactChecker, cache: RedisCache, model: ModelInfo, request: CheckRequest
) -> CheckResponse:
    """The verdict on a claim, from the cache when the same claim was checked with the same
    models, corpus version and parameters.

    :raises FieldError: the claim is too long.
    """
    claim = _require(
        normalise_claim(request.claim), ("body", "claim"), engine.params.max_claim_chars
    )
    refresh_if_stale(engine)
    corpus_version = engine.version
    top_k = engine.params.top_k if request.top_k is None else request.top_k
    min_similarity = (
        engine.params.min_similarity if request.min_similarity is None else request.min_similarity
    )
    key = cache_key(
        "check",
        model.model_dump(),
        corpus_version,
        claim,
        top_k,
        min_similarity,
        asdict(engine.params),
    )
    cached = cache.get_json(key, "check")
    if cached is not None:
        try:
            return CheckResponse.model_validate({**cached, "cache": "hit"})
        except ValidationError:
            pass  # written by an older release: recompute and overwrite
    verdict = VerdictPublic.of(engine.check(claim, top_k=top_k, min_similarity=min_similarity))
    response = CheckResponse(
        **verdict.model_dump(), model=model, corpus_version=corpus_version, cache="miss"
    )
    cache.set_json(key, response.model_dump(mode="json", exclude={"cache"}))
    return response


def claim_review_of(engine: FactChecker, verdict: CheckResponse, *, author: str) -> dict:
    """schema.org ClaimReview JSON-LD of a verdict, citing the evidence articles' URLs."""
    urls = {}
    for article_id in {e.article_id for e in verdict.evidence}:
        article = engine.store.get_article(article_id)
        urls[article_id] = article.url if article else None
    return claim_review(verdict, author=author, article_urls=urls)


# -- /flag ---------------------------------------------------------------------------


def flag_text(engine: FactChecker, model: ModelInfo, request: FlagRequest) -> FlagResponse:
    """The sentences of a draft that the corpus contradicts or supports, with their offsets
    in the draft and the corpus sentences behind each label.

    :raises FieldError: the text is too long.
    """
    _require(request.text, ("body", "text"), engine.params.max_text_chars)
    refresh_if_stale(engine)
    corpus_version = engine.version
    threshold = engine.params.decision_threshold
    flagged = []
    for f in engine.flag(request.text):
        label = "contradiction" if f.verdict.verdict == "refuted" else "entailment"
        behind = sorted(
            (e for e in f.verdict.evidence if e.on_topic and e.probabilities[label] >= threshold),
            key=lambda e: -e.probabilities[label],
        )
        flagged.append(
            FlaggedSentencePublic(
                start=f.start,
                end=f.end,
                sentence=f.verdict.claim,
                label=label,
                verdict=f.verdict.verdict,
                probability=f.verdict.confidence,
                evidence=[EvidencePublic.of_evidence(e) for e in behind],
            )
        )
    return FlagResponse(
        title=request.title, flagged=flagged, model=model, corpus_version=corpus_version
    )


# -- /pairs --------------------------------------------------------------------------


def score_pairs(
    scorer: PairCache,
    model: ModelInfo,
    request: PairsRequest,
    *,
    max_pairs: int,
    max_chars: int,
) -> PairsResponse:
    """NLI probabilities of each (premise, hypothesis) pair, through the pair cache.

    :raises FieldError: more than ``max_pairs`` pairs, or a text over ``max_chars``.
    """
    if len(request.pairs) > max_pairs:
        raise FieldError(
            ("body", "pairs"),
            f"{len(request.pairs):,} pairs; the limit is {max_pairs:,} a request",
        )
    for i, pair in enumerate(request.pairs):
        _require(pair.premise, ("body", "pairs", i, "premise"), max_chars)
        _require(pair.hypothesis, ("body", "pairs", i, "hypothesis"), max_chars)
    probs = scorer([(p.premise, p.hypothesis) for p in request.pairs])
    results = []
    for row in probs:
        p = dict(zip(NLI_LABELS, map(float, row)))
        results.append(
            PairResult(label=max(p, key=p.__getitem__), probabilities=Probabilities(**p))
        )
    return PairsResponse(results=results, model=model)


# -- /contradictions -----------------------------------------------------------------


def list_contradictions(engine: FactChecker, *, limit: int, offset: int) -> ContradictionsPublic:
    """One page of the corpus-wide contradictions, most probable first."""
    refresh_if_stale(engine)
    found = engine.contradictions()
    return ContradictionsPublic(
        data=[ContradictionPublic.of(c) for c in found[offset : offset + limit]],
        count=len(found),
        corpus_version=engine.version,
    )


# -- /articles -----------------------------------------------------------------------


def add_article(engine: FactChecker, request: ArticleCreate) -> ArticleCreated:
    """Ingest an article; posting the same text again returns the stored one unchanged.

    :raises ArticleError: the text is too long or not text.
    """
    refresh_if_stale(engine)
    result = engine.ingest_text(
        request.text,
        title=request.title,
        url=request.url,
        published=request.published,
        outlet=request.outlet,
    )
    article = engine.store.get_article(result.article_id)
    assert article is not None, result
    return ArticleCreated(
        **ArticleSummary.of(article).model_dump(), created=result.added, claims=result.claims
    )


def get_article(engine: FactChecker, article_id: str) -> ArticlePublic | None:
    article = engine.store.get_article(article_id)
    return None if article is None else ArticlePublic.of(article)


def list_articles(engine: FactChecker, *, limit: int, offset: int) -> ArticlesPublic:
    return ArticlesPublic(
        data=[ArticleSummary.of(a) for a in engine.store.list_articles(limit, offset)],
        count=engine.store.count_articles(),
    )


def delete_article(engine: FactChecker, article_id: str) -> bool:
    """:returns: whether the article existed."""
    return engine.delete(article_id)


# -- /health -------------------------------------------------------------------------


def health(engine: FactChecker, cache: RedisCache, model: ModelInfo) -> HealthPublic:
    """Models, corpus size and whether Redis answers (``degraded`` when it does not)."""
    refresh_if_stale(engine)
    answers = cache.ping()
    return HealthPublic(
        status="ok" if answers else "degraded",
        model=model,
        corpus=CorpusInfo(
            articles=engine.store.count_articles(),
            claims=engine.claim_count,
            version=engine.version,
        ),
        cache=CacheInfo(backend=cache.backend, url=cache.display_url, answers=answers),
    )
