"""POST /verify: is a claim supported by a source document (a press release, a report)?"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from service.api.deps import ChecksDep, require_reader
from service.api.responses import BODY_REFUSED, INVALID, SCORING, over_budget
from service.api.schemas import VerifyRequest, VerifyResponse

router = APIRouter(tags=["verify"], dependencies=[Depends(require_reader)], responses=BODY_REFUSED)


@router.post(
    "/verify",
    response_model=VerifyResponse,
    responses={**INVALID, **over_budget("max_verify_windows"), **SCORING},
)
def verify(body: VerifyRequest, checks: ChecksDep) -> VerifyResponse:
    """Verdict on ``claim`` against ``document`` alone (not the corpus): the document is
    read in sentence windows, the most entailing and most contradicting window decide, and
    the deciding window comes back with its character offsets in ``document``."""
    result = checks.verify(body.claim, body.document, window_sentences=body.window_sentences)
    return VerifyResponse.of(result)
