"""HTTP errors the routes raise for domain errors."""

from __future__ import annotations

from fastapi import HTTPException


def unprocessable(exc: Exception, *loc: str | int) -> HTTPException:
    """A 422 in the same shape as FastAPI's validation errors, naming the field at fault
    (the domain error's own ``loc`` when it has one)."""
    where = list(getattr(exc, "loc", None) or loc)
    return HTTPException(
        422,
        detail=[{"loc": where, "msg": str(exc), "type": "value_error"}],
    )
