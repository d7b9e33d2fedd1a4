"""FastAPI dependencies: the engine, cache, scorer and settings built once at start-up, and
the API-key checks. Tests swap any of them with ``app.dependency_overrides``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader

from service.cache import EmbeddedRedis, PairCache, RedisCache
from service.engine import FactChecker
from service.metrics import Metrics
from service.schemas import ModelInfo
from service.security import key_matches
from service.settings import Settings


@dataclass
class Services:
    """Everything the routes use, built by the app's lifespan."""

    settings: Settings
    engine: FactChecker
    cache: RedisCache
    scorer: PairCache
    metrics: Metrics
    model: ModelInfo
    api_keys: tuple[str, ...] = ()
    #: An embedded Redis this app started, stopped with it.
    owned_redis: EmbeddedRedis | None = field(default=None, repr=False)

    def close(self) -> None:
        self.cache.close()
        if self.owned_redis is not None:
            self.owned_redis.stop()
        self.engine.store.close()


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_engine(services: ServicesDep) -> FactChecker:
    return services.engine


def get_cache(services: ServicesDep) -> RedisCache:
    return services.cache


def get_scorer(services: ServicesDep) -> PairCache:
    return services.scorer


def get_settings(services: ServicesDep) -> Settings:
    return services.settings


def get_metrics(services: ServicesDep) -> Metrics:
    return services.metrics


def get_model(services: ServicesDep) -> ModelInfo:
    return services.model


EngineDep = Annotated[FactChecker, Depends(get_engine)]
CacheDep = Annotated[RedisCache, Depends(get_cache)]
ScorerDep = Annotated[PairCache, Depends(get_scorer)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ModelDep = Annotated[ModelInfo, Depends(get_model)]

api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="Needed for writes; with no key configured, the development key in "
    "<data_dir>/api-key (printed by `factcheck serve`).",
)
ApiKey = Annotated[str | None, Security(api_key_header)]


def _check_key(key: str | None, keys: tuple[str, ...]) -> None:
    if key is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing X-API-Key header",
            headers={"WWW-Authenticate": "X-API-Key"},
        )
    if not key_matches(key, keys):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="invalid API key")


def require_writer(services: ServicesDep, key: ApiKey) -> None:
    """Writes need a valid key unless ``open_writes``."""
    if not services.settings.open_writes:
        _check_key(key, services.api_keys)


def require_reader(services: ServicesDep, key: ApiKey) -> None:
    """Reads need a valid key only with ``read_requires_key``."""
    if services.settings.read_requires_key:
        _check_key(key, services.api_keys)
