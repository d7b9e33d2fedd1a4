"""GET /contradictions: contradicting claim pairs across the corpus, as the background sweep
has found them (never computed in the request)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from service.api.deps import ChecksDep, require_reader
from service.api.responses import BODY_REFUSED
from service.api.schemas import ContradictionsPublic

router = APIRouter(
    tags=["contradictions"], dependencies=[Depends(require_reader)], responses=BODY_REFUSED
)

#: Longest a client may ask to wait for the sweep (s).
MAX_WAIT_S = 120


@router.get("/contradictions", response_model=ContradictionsPublic)
def contradictions(
    checks: ChecksDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    wait: Annotated[
        float,
        Query(ge=0, le=MAX_WAIT_S, description="Seconds to wait for a running sweep to end."),
    ] = 0,
    label: Annotated[
        Literal["contradiction", "entailment", "neutral", "any"],
        Query(
            description="contradiction: the contradictions. entailment, neutral: the scored "
            "pairs with that label, on the same topic or not. any: every pair the sweep "
            "scored, each with its label, most contradicting first."
        ),
    ] = "contradiction",
) -> ContradictionsPublic:
    """Contradicting claim pairs, most probable first, from the store (with ``label``, the
    scored pairs with another label, or all of them). The sweep runs in the background
    when the corpus changes (only pairs with new claims are scored); ``sweep.state`` is
    ``running`` until every claim is paired."""
    page = checks.contradictions(limit=limit, offset=offset, wait_s=wait, label=label)
    return ContradictionsPublic.of(page)
