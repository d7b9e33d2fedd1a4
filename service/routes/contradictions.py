"""GET /contradictions: contradicting claim pairs across the corpus."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from service import operations
from service.deps import EngineDep, require_reader
from service.schemas import ContradictionsPublic

router = APIRouter(tags=["contradictions"], dependencies=[Depends(require_reader)])


@router.get("/contradictions", response_model=ContradictionsPublic)
def contradictions(
    engine: EngineDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ContradictionsPublic:
    """Contradicting claim pairs, most probable first (computed once per corpus version)."""
    return operations.list_contradictions(engine, limit=limit, offset=offset)
