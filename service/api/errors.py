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

from service.errors import (
    FactcheckError,
    InvalidInput,
    NotFound,
    Overloaded,
    StorageFull,
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


def internal_error(request: Request, exc: Exception) -> JSONResponse:
    """Anything else: logged with its traceback, answered as a JSON 500 without one."""
    logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "internal server error"}, status_code=500)


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(FactcheckError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, internal_error)
