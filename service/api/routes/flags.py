"""POST /flag: the sentences of a draft that the corpus contradicts or supports."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from service.api.deps import ChecksDep, require_reader
from service.api.responses import BODY_REFUSED, INVALID, SCORING, over_budget
from service.api.schemas import FlagRequest, FlagResponse

router = APIRouter(tags=["flags"], dependencies=[Depends(require_reader)], responses=BODY_REFUSED)


@router.post(
    "/flag",
    response_model=FlagResponse,
    responses={**INVALID, **over_budget("max_flag_sentences"), **SCORING},
)
def flag(body: FlagRequest, checks: ChecksDep) -> FlagResponse:
    """For the newsroom plugin: each sentence of ``text`` that the corpus contradicts (or
    supports), with its character offsets in ``text`` and the corpus sentences behind it."""
    return FlagResponse.of(checks.flag(body.text, title=body.title))
