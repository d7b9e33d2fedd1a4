"""POST /pairs: NLI probabilities of (premise, hypothesis) pairs."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from service.api.deps import ChecksDep, require_reader
from service.api.schemas import ErrorResponse, PairsRequest, PairsResponse

router = APIRouter(tags=["pairs"], dependencies=[Depends(require_reader)])


@router.post("/pairs", response_model=PairsResponse, responses={422: {"model": ErrorResponse}})
def pairs(body: PairsRequest, checks: ChecksDep) -> PairsResponse:
    """Entailment, neutral and contradiction probabilities per pair, scored in one batch;
    pairs seen before come from the cache."""
    return PairsResponse.of(checks.score_pairs([(p.premise, p.hypothesis) for p in body.pairs]))
