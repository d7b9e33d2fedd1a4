"""GET /contradictions: contradicting claim pairs across the corpus."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from service.api.deps import ChecksDep, require_reader
from service.api.schemas import ContradictionsPublic

router = APIRouter(tags=["contradictions"], dependencies=[Depends(require_reader)])


@router.get("/contradictions", response_model=ContradictionsPublic)
def contradictions(
    checks: ChecksDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ContradictionsPublic:
    """Contradicting claim pairs, most probable first (computed once per corpus version)."""
    return ContradictionsPublic.of(checks.contradictions(limit=limit, offset=offset))
