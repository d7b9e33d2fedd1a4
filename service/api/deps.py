"""FastAPI dependencies: the services built once by the app's lifespan, and the API-key
checks. Tests swap any of them with ``app.dependency_overrides``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader

from service.api.metrics import Metrics
from service.api.security import key_matches
from service.checks import CheckService
from service.container import Services
from service.settings import Settings


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_checks(services: ServicesDep) -> CheckService:
    return services.checks


def get_settings(services: ServicesDep) -> Settings:
    return services.settings


def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


def get_api_keys(request: Request) -> tuple[str, ...]:
    return request.app.state.api_keys


ChecksDep = Annotated[CheckService, Depends(get_checks)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ApiKeysDep = Annotated[tuple[str, ...], Depends(get_api_keys)]

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


def require_writer(settings: SettingsDep, keys: ApiKeysDep, key: ApiKey) -> None:
    """Writes need a valid key unless ``open_writes``."""
    if not settings.open_writes:
        _check_key(key, keys)


def require_reader(settings: SettingsDep, keys: ApiKeysDep, request: Request) -> None:
    """Reads need a valid key only with ``read_requires_key``. The header is read here
    rather than declared, so the OpenAPI document does not claim that reads need a key
    (with ``read_requires_key`` they do, and the app adds the requirement to the document)."""
    if settings.read_requires_key:
        _check_key(request.headers.get("x-api-key"), keys)
