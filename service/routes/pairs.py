"""POST /pairs: NLI probabilities of (premise, hypothesis) pairs."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from service import operations
from service.deps import ModelDep, ScorerDep, SettingsDep, require_reader
from service.engine import InvalidInput
from service.routes.errors import unprocessable
from service.schemas import ErrorResponse, PairsRequest, PairsResponse

router = APIRouter(tags=["pairs"], dependencies=[Depends(require_reader)])


@router.post("/pairs", response_model=PairsResponse, responses={422: {"model": ErrorResponse}})
def pairs(
    body: PairsRequest, scorer: ScorerDep, model: ModelDep, settings: SettingsDep
) -> PairsResponse:
    """Entailment, neutral and contradiction probabilities per pair, scored in one batch;
    pairs seen before come from the cache."""
    try:
        return operations.score_pairs(
            scorer,
            model,
            body,
            max_pairs=settings.max_pairs_per_request,
            max_chars=settings.max_claim_chars,
        )
    except InvalidInput as exc:
        raise unprocessable(exc, "body", "pairs") from None
