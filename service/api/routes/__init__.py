"""One APIRouter per resource; :data:`ROUTERS` is what the app includes."""

from __future__ import annotations

from service.api.routes import (
    articles,
    checks,
    contradictions,
    desk,
    flags,
    health,
    pairs,
    verify,
)

ROUTERS = [
    checks.router,
    flags.router,
    verify.router,
    pairs.router,
    contradictions.router,
    articles.router,
    health.router,
    desk.router,
]
