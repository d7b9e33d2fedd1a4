"""GET /contradictions: contradicting claim pairs across the corpus, as the background sweep
has found them (never computed in the request)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from service.api.deps import ChecksDep, require_reader
from service.api.schemas import ContradictionsPublic

router = APIRouter(tags=["contradictions"], dependencies=[Depends(require_reader)])

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
) -> ContradictionsPublic:
    """Contradicting claim pairs, most probable first, from the store. The sweep runs in
    the background when the corpus changes (only pairs with new claims are scored);
    ``sweep.state`` is ``running`` until every claim is paired."""
    return ContradictionsPublic.of(checks.contradictions(limit=limit, offset=offset, wait_s=wait))
