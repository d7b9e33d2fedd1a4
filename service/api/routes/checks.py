"""POST /check: the verdict on one claim, for fact-checkers."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from service.api.claimreview import claim_review
from service.api.deps import ChecksDep, SettingsDep, require_reader
from service.api.responses import BODY_REFUSED, INVALID, SCORING
from service.api.schemas import CheckRequest, CheckResponse

router = APIRouter(tags=["checks"], dependencies=[Depends(require_reader)], responses=BODY_REFUSED)


@router.post(
    "/check",
    response_model=CheckResponse,
    responses={
        200: {
            "content": {"application/ld+json": {}},
            "description": "The verdict; with ?format=claimreview, schema.org ClaimReview "
            "JSON-LD instead.",
        },
        **INVALID,
        **SCORING,
    },
)
def check(
    body: CheckRequest,
    checks: ChecksDep,
    settings: SettingsDep,
    response_format: Annotated[
        Literal["json", "claimreview"],
        Query(alias="format", description="claimreview: schema.org ClaimReview JSON-LD."),
    ] = "json",
):
    """Verdict on a claim against the corpus (supported, refuted or not_enough_info) with
    its evidence; repeated claims are answered from the cache until the corpus changes."""
    result = checks.check(body.claim, top_k=body.top_k, min_similarity=body.min_similarity)
    verdict = CheckResponse.of_result(result)
    if response_format == "claimreview":
        urls = checks.article_urls({e.article_id for e in verdict.evidence})
        review = claim_review(verdict, author=settings.claimreview_author, article_urls=urls)
        return JSONResponse(review, media_type="application/ld+json")
    return verdict
