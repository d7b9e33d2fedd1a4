"""GET /health and GET /metrics (always open: probes and scrapers carry no key)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from service.api.deps import ChecksDep, MetricsDep
from service.api.metrics import CONTENT_TYPE
from service.api.responses import BODY_REFUSED
from service.api.schemas import HealthPublic

router = APIRouter(tags=["health"], responses=BODY_REFUSED)


@router.get("/health", response_model=HealthPublic)
def health(checks: ChecksDep, metrics: MetricsDep) -> HealthPublic:
    """Model names, corpus size, cache backend and whether Redis answers. ``degraded``
    (still HTTP 200) means requests are answered, uncached."""
    result = checks.health()
    metrics.cache_up.set(int(result.cache is not None and result.cache.answers))
    return HealthPublic.of(result)


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}})
def prometheus_metrics(checks: ChecksDep, metrics: MetricsDep) -> Response:
    """Prometheus metrics: requests, latency, cache hits and misses, NLI pairs scored."""
    corpus = checks.corpus_info()
    metrics.corpus_articles.set(corpus.articles)
    metrics.corpus_claims.set(corpus.claims)
    return Response(metrics.render(), media_type=CONTENT_TYPE)
