"""schema.org ClaimReview JSON-LD for a verdict (``POST /check?format=claimreview``).

See https://schema.org/ClaimReview. Pure: builds a dict, no I/O.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from service.api.schemas import VerdictPublic

#: Verdict → (ratingValue on a 1-5 scale, alternateName).
_RATINGS = {
    "refuted": (1, "False"),
    "not_enough_info": (3, "Unverifiable"),
    "supported": (5, "True"),
}


def claim_review(
    verdict: VerdictPublic,
    *,
    author: str,
    article_urls: dict[str, str | None] | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """The ClaimReview of ``verdict``.

    The evidence behind the verdict (on-topic sentences with the deciding label) goes into
    ``isBasedOn``, one CreativeWork per sentence, with the article's URL when known.

    :param author: organisation named as the reviewer.
    :param article_urls: article id → URL, for the evidence.
    """
    rating, name = _RATINGS[verdict.verdict]
    deciding = {"refuted": "contradiction", "supported": "entailment"}.get(verdict.verdict)
    urls = article_urls or {}
    based_on = []
    for e in verdict.evidence:
        if e.label != deciding or not e.on_topic:
            continue
        work: dict[str, Any] = {"@type": "CreativeWork", "text": e.sentence}
        if e.title:
            work["headline"] = e.title
        if urls.get(e.article_id):
            work["url"] = urls[e.article_id]
        based_on.append(work)
    review: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "claimReviewed": verdict.claim,
        "datePublished": (today or date.today()).isoformat(),
        "author": {"@type": "Organization", "name": author},
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": rating,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": name,
            "ratingExplanation": f"{verdict.verdict} with confidence {verdict.confidence:.2f}, "
            "by natural-language inference against the newsroom's corpus",
        },
        "itemReviewed": {"@type": "Claim", "text": verdict.claim},
    }
    if based_on:
        review["isBasedOn"] = based_on
    return review
