"""The error answers each route can give, declared in the OpenAPI document (``responses=``
of the routers and routes), so that clients and the schema fuzzer know them.

Where each comes from: :class:`~service.api.body_guard.BodyGuard` refuses a body that is too
large (413) or not UTF-8, or a bad Content-Length (400), on every path before any route
runs; FastAPI's validation and the service's input errors give 422; budgets over the
request (sentences per /flag, windows per /verify) give 413; the scoring pool gives 503 with
Retry-After when its queue is full; the corpus store gives 507 when it cannot be written and
503 when it cannot be used (``service/api/errors.py``).
"""

from __future__ import annotations

from typing import Any

from service.api.schemas import ErrorResponse

Responses = dict[int | str, dict[str, Any]]

#: Every operation: BodyGuard answers before the route.
BODY_REFUSED: Responses = {
    400: {
        "model": ErrorResponse,
        "description": "The request body is not UTF-8, or its Content-Length is not a number.",
    },
    413: {"model": ErrorResponse, "description": "The request body is over max_body_bytes."},
}

#: The input is valid JSON of the right shape but not usable (names the field).
INVALID: Responses = {
    422: {
        "model": ErrorResponse,
        "description": "Invalid input, naming the field: wrong type, empty or invisible-only "
        "text, over a length limit; a claim longer than the NLI model reads "
        '("type": "token_limit", naming max_claim_tokens).',
    }
}


def over_budget(budget: str) -> Responses:
    """413 for a body over the size limit or a request over ``budget``."""
    return {
        413: {
            "model": ErrorResponse,
            "description": "The request body is over max_body_bytes, or the request is over "
            f'{budget} ("type": "too_large", naming the limit).',
        }
    }


#: Routes that score with the NLI model.
SCORING: Responses = {
    503: {
        "model": ErrorResponse,
        "description": "The NLI scoring queue is full: try again after Retry-After seconds "
        "(or a model or the corpus store cannot be used).",
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before trying again (when the queue is full).",
                "schema": {"type": "integer"},
            }
        },
    }
}

#: Routes that write the corpus store.
STORAGE: Responses = {
    503: {"model": ErrorResponse, "description": "The corpus store cannot be used (corrupt)."},
    507: {
        "model": ErrorResponse,
        "description": "The corpus store cannot be written: the disk is full or the data "
        "directory is read-only (nothing stored is lost; reads go on).",
    },
}
