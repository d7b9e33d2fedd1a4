"""POST /check: the verdict on one claim, for fact-checkers."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from service import operations
from service.deps import CacheDep, EngineDep, ModelDep, SettingsDep, require_reader
from service.engine import InvalidInput
from service.routes.errors import unprocessable
from service.schemas import CheckRequest, CheckResponse, ErrorResponse

router = APIRouter(tags=["checks"], dependencies=[Depends(require_reader)])


@router.post(
    "/check",
    response_model=CheckResponse,
    responses={
        200: {
            "content": {"application/ld+json": {}},
            "description": "The verdict; with ?format=claimreview, schema.org ClaimReview "
            "JSON-LD instead.",
        },
        422: {"model": ErrorResponse},
    },
)
def check(
    body: CheckRequest,
    engine: EngineDep,
    cache: CacheDep,
    model: ModelDep,
    settings: SettingsDep,
    response_format: Annotated[
        Literal["json", "claimreview"],
        Query(alias="format", description="claimreview: schema.org ClaimReview JSON-LD."),
    ] = "json",
):
    """Verdict on a claim against the corpus (supported, refuted or not_enough_info) with
    its evidence; repeated claims are answered from the cache until the corpus changes."""
    try:
        verdict = operations.check_claim(engine, cache, model, body)
    except InvalidInput as exc:
        raise unprocessable(exc, "body", "claim") from None
    if response_format == "claimreview":
        review = operations.claim_review_of(engine, verdict, author=settings.claimreview_author)
        return JSONResponse(review, media_type="application/ld+json")
    return verdict
