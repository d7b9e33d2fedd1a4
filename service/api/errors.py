"""Errors as HTTP answers: the one place where domain errors (:mod:`service.errors`) become
responses, plus FastAPI's validation errors and anything unexpected.

Every error answer is JSON: ``{"detail": [{"loc", "msg", "type"}]}`` for bad input (the shape
of FastAPI's own validation errors, naming the field at fault), ``{"detail": "..."}``
otherwise. Routes raise no ``HTTPException`` for domain errors.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import (
    FactcheckError,
    InvalidInput,
    NotFound,
    Overloaded,
    StorageFull,
    TokenLimit,
    TooLarge,
)

logger = logging.getLogger(__name__)

#: Validation errors listed in one answer; the rest are counted in one last item.
MAX_ERRORS = 5


def domain_error(request: Request, exc: Exception) -> JSONResponse:
    """Bad input → 422 naming the field (``["body", *exc.field]``); not found → 404; any
    other domain error (an unusable corpus, a model that cannot load) → 503."""
    if isinstance(exc, TooLarge):
        error = {"loc": ["body", *exc.field], "msg": str(exc), "type": "too_large"}
        return JSONResponse({"detail": [error]}, status_code=413)
    if isinstance(exc, TokenLimit):
        error = {"loc": ["body", *exc.field], "msg": str(exc), "type": "token_limit"}
        return JSONResponse({"detail": [error]}, status_code=422)
    if isinstance(exc, InvalidInput):
        error = {"loc": ["body", *exc.field], "msg": str(exc), "type": "value_error"}
        return JSONResponse({"detail": [error]}, status_code=422)
    if isinstance(exc, StorageFull):
        logger.error("%s %s: %s", request.method, request.url.path, exc)
        return JSONResponse({"detail": str(exc)}, status_code=507)
    if isinstance(exc, Overloaded):
        return JSONResponse(
            {"detail": str(exc)},
            status_code=503,
            headers={"Retry-After": str(exc.retry_after_s)},
        )
    if isinstance(exc, NotFound):
        return JSONResponse({"detail": str(exc)}, status_code=404)
    logger.error("%s %s: %s", request.method, request.url.path, exc)
    return JSONResponse({"detail": str(exc)}, status_code=503)


def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 without ``input`` (it can echo a 200,000-character body) or ``ctx``."""
    errors = []
    everything = exc.errors()
    for e in everything[:MAX_ERRORS]:
        msg = e.get("msg", "invalid")
        if e.get("type") == "json_invalid" and e.get("ctx", {}).get("error"):
            msg = f"invalid JSON: {e['ctx']['error']}"
        errors.append({"loc": list(e.get("loc", ("body",))), "msg": msg, "type": e.get("type")})
    if len(everything) > MAX_ERRORS:
        more = len(everything) - MAX_ERRORS
        errors.append({"loc": ["body"], "msg": f"and {more:,} more errors", "type": "truncated"})
    return JSONResponse({"detail": errors}, status_code=422)


class InternalErrors:
    """Anything else: logged once with its traceback, answered as a JSON 500 without one.

    An ASGI middleware rather than an ``Exception`` handler: Starlette re-raises after such a
    handler, so the server logged every 500 a second time.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            logger.error("%s %s failed", scope["method"], scope["path"], exc_info=exc)
            if not started:
                response = JSONResponse({"detail": "internal server error"}, status_code=500)
                await response(scope, receive, send)


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(FactcheckError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_middleware(InternalErrors)
