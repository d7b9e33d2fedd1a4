"""The REST API: ``create_app(settings)`` builds a FastAPI app whose lifespan builds the
services (:class:`~service.container.Services`) once and closes them on shutdown."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from service.api.body_guard import BodyGuard
from service.api.errors import add_error_handlers
from service.api.metrics import Metrics, MetricsMiddleware
from service.api.routes import ROUTERS
from service.api.routes.desk import router as desk_router
from service.api.routes.docs import router as docs_router
from service.api.security import accepted_keys
from service.container import Services
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
* **POST /verify**: whether a source document supports or refutes a claim, and where.
* **POST /pairs**: NLI probabilities of (premise, hypothesis) pairs.
* **GET /contradictions**: contradicting claim pairs across the corpus.
* **/articles**: the corpus; writes need an `X-API-Key`.
"""


def create_app(
    settings: Settings | None = None, *, services: Services | None = None, **parts: Any
) -> FastAPI:
    """The API app. Models, cache and corpus are built when it starts (its lifespan), once.

    Without ``settings.redis_url`` the services start an embedded Redis with its data file
    under ``settings.data_dir`` and stop it on shutdown.

    :param services: services built by the caller, used as they are and left open at
        shutdown (their owner closes them).
    :param parts: passed on to :meth:`Services.build` (tests share their models this way:
        ``embedder``, ``scorer``, ``model_version``).
    """
    if settings is None:
        settings = services.settings if services is not None else get_settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = services is None
        built = Services.build(settings, observer=metrics, **parts) if owned else services
        try:
            app.state.services = built.warm_up()
            app.state.metrics = metrics
            app.state.api_keys = accepted_keys(settings)
            yield
        finally:
            if owned:
                built.close()

    app = FastAPI(
        title="factcheck",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # Swagger UI from local files only (routes/docs.py); ReDoc has no offline build.
        docs_url=None,
        redoc_url=None,
    )
    # Added innermost first: metrics see every answer, CORS headers go on error answers too.
    add_error_handlers(app)  # innermost: a 500 passes through CORS and the metrics
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
    if settings.read_requires_key:
        _document_read_keys(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(desk_router)
    app.include_router(docs_router)
    return app


def _document_read_keys(app: FastAPI) -> None:
    """With ``read_requires_key``, the OpenAPI document says that every operation but
    /health and /metrics needs the X-API-Key header (reads check it without declaring it)."""
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        schema = default_openapi()
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes.setdefault("APIKeyHeader", {"type": "apiKey", "in": "header", "name": "X-API-Key"})
        for path, operations in schema.get("paths", {}).items():
            if path not in ("/health", "/metrics"):
                for operation in operations.values():
                    operation.setdefault("security", [{"APIKeyHeader": []}])
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
