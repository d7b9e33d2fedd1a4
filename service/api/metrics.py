"""Prometheus metrics of the API, in a registry of their own (not the process-global one),
so several apps in one process (tests, workers) never share or clash."""

from __future__ import annotations

import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Media type of :meth:`Metrics.render`.
CONTENT_TYPE = CONTENT_TYPE_LATEST

_LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Request, cache and model counters; also the :class:`~service.cache.CacheObserver`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "factcheck_http_requests",
            "HTTP requests answered, by route template and status code.",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "factcheck_http_request_duration_seconds",
            "Time to answer an HTTP request (s), by route template.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS_S,
            registry=r,
        )
        self.cache_hits = Counter(
            "factcheck_cache_hits", "Cache hits, by cache (pair, check).", ["cache"], registry=r
        )
        self.cache_misses = Counter(
            "factcheck_cache_misses",
            "Cache misses (computed answers), by cache (pair, check).",
            ["cache"],
            registry=r,
        )
        self.cache_errors = Counter(
            "factcheck_cache_errors", "Redis calls that failed (served uncached).", registry=r
        )
        self.nli_pairs = Counter(
            "factcheck_nli_pairs_scored",
            "(premise, hypothesis) pairs run through the NLI model.",
            registry=r,
        )
        self.corpus_articles = Gauge(
            "factcheck_corpus_articles", "Articles in the corpus.", registry=r
        )
        self.corpus_claims = Gauge("factcheck_corpus_claims", "Claims in the corpus.", registry=r)
        self.cache_up = Gauge(
            "factcheck_cache_up", "1 when Redis answered the last health check, else 0.", registry=r
        )

    # -- CacheObserver ----------------------------------------------------------------

    def cache_lookup(self, kind: str, hits: int, misses: int) -> None:
        if hits:
            self.cache_hits.labels(kind).inc(hits)
        if misses:
            self.cache_misses.labels(kind).inc(misses)

    def cache_error(self) -> None:
        self.cache_errors.inc()

    def pairs_scored(self, n: int) -> None:
        self.nli_pairs.inc(n)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


def _route_template(scope: Scope) -> str:
    """The template of the route that answered, or that would have answered a request a
    middleware refused (413, 400); ``(no route)`` for a path that no route serves."""
    route = scope.get("route")
    if getattr(route, "path", None):
        return route.path
    app = scope.get("app")
    found = _match(getattr(getattr(app, "router", None), "routes", ()), scope)
    return found or "(no route)"


def _match(routes, scope: Scope, depth: int = 0) -> str | None:
    for candidate in routes:
        try:
            match, child = candidate.matches(scope)
        except Exception:  # a route that cannot judge this scope does not match it
            continue
        if match != Match.FULL:
            continue
        path = getattr(child.get("route"), "path", None) or getattr(candidate, "path", None)
        if path:
            return path
        # A router included in another one (FastAPI's _IncludedRouter) matches first and
        # picks its route later: look among its own routes.
        inner = getattr(getattr(candidate, "original_router", None), "routes", None)
        if inner is None:
            inner = getattr(candidate, "routes", None)
        if inner and depth < 4:
            prefix = getattr(getattr(candidate, "original_router", None), "prefix", "") or ""
            found = _match(inner, scope, depth + 1)
            if found:
                return found if found.startswith(prefix) else prefix + found
    return None


class MetricsMiddleware:
    """Counts and times every HTTP request, labelled by route template (``/articles/{id}``,
    never the raw path, to keep the label set small)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            template = _route_template(scope)
            method = scope["method"]
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - start)
            self.metrics.requests.labels(method, template, str(status)).inc()
