"""GET /health and GET /metrics (always open: probes and scrapers carry no key)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from service import operations
from service.deps import CacheDep, EngineDep, MetricsDep, ModelDep
from service.metrics import CONTENT_TYPE
from service.schemas import HealthPublic

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic)
def health(
    engine: EngineDep, cache: CacheDep, model: ModelDep, metrics: MetricsDep
) -> HealthPublic:
    """Model names, corpus size, cache backend and whether Redis answers. ``degraded``
    (still HTTP 200) means requests are answered, uncached."""
    result = operations.health(engine, cache, model)
    metrics.cache_up.set(int(result.cache.answers))
    return result


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}})
def prometheus_metrics(engine: EngineDep, metrics: MetricsDep) -> Response:
    """Prometheus metrics: requests, latency, cache hits and misses, NLI pairs scored."""
    metrics.corpus_articles.set(engine.store.count_articles())
    metrics.corpus_claims.set(engine.claim_count)
    return Response(metrics.render(), media_type=CONTENT_TYPE)
