"""POST /pairs: NLI probabilities of (premise, hypothesis) pairs."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from service.api.deps import ChecksDep, require_reader
from service.api.responses import BODY_REFUSED, INVALID, SCORING
from service.api.schemas import PairsRequest, PairsResponse

router = APIRouter(tags=["pairs"], dependencies=[Depends(require_reader)], responses=BODY_REFUSED)


@router.post("/pairs", response_model=PairsResponse, responses={**INVALID, **SCORING})
def pairs(body: PairsRequest, checks: ChecksDep) -> PairsResponse:
    """Entailment, neutral and contradiction probabilities per pair, scored in one batch;
    pairs seen before come from the cache."""
    return PairsResponse.of(checks.score_pairs([(p.premise, p.hypothesis) for p in body.pairs]))
