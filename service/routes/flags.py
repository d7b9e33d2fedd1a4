"""POST /flag: the sentences of a draft that the corpus contradicts or supports."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from service import operations
from service.deps import EngineDep, ModelDep, require_reader
from service.engine import InvalidInput
from service.routes.errors import unprocessable
from service.schemas import ErrorResponse, FlagRequest, FlagResponse

router = APIRouter(tags=["flags"], dependencies=[Depends(require_reader)])


@router.post("/flag", response_model=FlagResponse, responses={422: {"model": ErrorResponse}})
def flag(body: FlagRequest, engine: EngineDep, model: ModelDep) -> FlagResponse:
    """For the newsroom plugin: each sentence of ``text`` that the corpus contradicts (or
    supports), with its character offsets in ``text`` and the corpus sentences behind it."""
    try:
        return operations.flag_text(engine, model, body)
    except InvalidInput as exc:
        raise unprocessable(exc, "body", "text") from None
