"""Building the engine and its parts from :class:`~service.settings.Settings`."""

from __future__ import annotations

import logging

from models.embedder import Embedder
from models.nli import NliModel, default_nli_path
from service.articles import read_articles
from service.cache import PairCache, RedisCache, checkpoint_fingerprint
from service.corpus import CorpusStore
from service.engine import EngineParams, FactChecker, PairScorer
from service.settings import Settings

logger = logging.getLogger(__name__)


def build_nli(settings: Settings) -> NliModel:
    """The configured NLI model; the ONNX backend caches its graphs under data_dir/onnx."""
    return NliModel(
        settings.nli_model,
        batch_size=settings.nli_batch_size,
        backend=settings.nli_backend,
        onnx_cache_dir=settings.data_dir / "onnx",
    )


def nli_version(settings: Settings) -> str:
    """Version of the configured NLI model for cache keys: checkpoint name, content digest
    and backend (an int8 ONNX graph scores slightly differently from the torch weights)."""
    fingerprint = checkpoint_fingerprint(settings.nli_model or default_nli_path())
    return f"{fingerprint}+{settings.nli_backend}"


def build_scorer(
    settings: Settings,
    *,
    cache: RedisCache | None = None,
    scorer: PairScorer | None = None,
    model_version: str | None = None,
) -> PairScorer:
    """The NLI pair scorer: ``scorer`` or the configured :class:`NliModel`, behind the Redis
    pair cache when ``cache`` is given (only pairs not cached reach the model).

    :param model_version: part of the cache keys; default :func:`nli_version`, which fits
        any ``scorer`` that wraps the configured checkpoint.
    """
    if scorer is None:
        scorer = build_nli(settings).predict_pairs
    if cache is None:
        return scorer
    return PairCache(scorer, cache, model_version=model_version or nli_version(settings))


def build_embedder(settings: Settings) -> Embedder:
    return Embedder(settings.embedder_model)


def engine_params(settings: Settings) -> EngineParams:
    return EngineParams(
        top_k=settings.top_k,
        min_similarity=settings.min_similarity,
        duplicate_similarity=settings.duplicate_similarity,
        topic_similarity=settings.topic_similarity,
        decision_threshold=settings.decision_threshold,
        max_claim_chars=settings.max_claim_chars,
        max_text_chars=settings.max_text_chars,
    )


def build_fact_checker(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    scorer: PairScorer | None = None,
    seed_if_empty: bool = True,
    cache: RedisCache | None = None,
) -> FactChecker:
    """The engine over the corpus in ``settings.data_dir``.

    :param scorer: NLI pair scorer; default: the configured :class:`NliModel`, behind
        ``cache`` when one is given (see :func:`build_scorer`), else uncached.
    :param seed_if_empty: ingest ``settings.seeds_dir`` when the corpus holds no article.
    """
    embedder = embedder or build_embedder(settings)
    store = CorpusStore(settings.data_dir / "corpus.sqlite3", embedder_name=embedder.name)
    if scorer is None:
        scorer = build_scorer(settings, cache=cache)
    engine = FactChecker(store, embedder, scorer, engine_params(settings))
    if seed_if_empty and store.count_articles() == 0 and settings.seeds_dir.is_dir():
        logger.info("empty corpus: ingesting the seed articles in %s", settings.seeds_dir)
        engine.ingest(read_articles([settings.seeds_dir]))
    return engine.warm_up()
