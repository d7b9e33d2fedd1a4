"""What every command gets from the ``factcheck`` group: its settings and its services.

Tests pass ready-made services in ``obj={"services": services}``; otherwise a command's
services are built here (:meth:`Services.build`) on first use and closed when it ends.
"""

from __future__ import annotations

import json
from typing import Any

import click

from service.container import Services
from service.settings import Settings


def _obj(ctx: click.Context) -> dict[str, Any]:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, dict) else {}


def root_settings(ctx: click.Context) -> Settings:
    """The settings of this invocation: the group's (``--data-dir`` honoured), those of
    services passed in, else the environment's (a command run on its own)."""
    obj = _obj(ctx)
    if obj.get("settings") is not None:
        return obj["settings"]
    if obj.get("services") is not None:
        return obj["services"].settings
    return Settings()


#: Settings that choose the models: services for other values cannot share the models.
MODEL_SETTINGS = ("embedder_model", "nli_model", "nli_backend", "nli_batch_size")


def open_services(ctx: click.Context, updates: dict[str, Any] | None = None, **parts: Any):
    """The services a command works with, closed when the command ends (unless they were
    passed in).

    :param updates: settings that differ for this command (``evaluate --model``).
    :param parts: passed on to :meth:`Services.build` (``seed_if_empty=False``).

    Services passed in by a test are used as they are when the settings match; otherwise
    (``--data-dir``, ``parts``) new services share their models, unless the models differ.
    """
    obj = _obj(ctx)
    given: Services | None = obj.get("services")
    settings = root_settings(ctx)
    if updates:
        settings = settings.model_copy(update=updates)
    parts.setdefault("use_cache", obj.get("use_cache", True))
    if given is not None and settings == given.settings and set(parts) == {"use_cache"}:
        return given
    same_models = given is not None and all(
        getattr(settings, name) == getattr(given.settings, name) for name in MODEL_SETTINGS
    )
    if same_models:
        services = given.sharing_models(settings, **parts)
    else:
        services = Services.build(settings, **parts)
    ctx.call_on_close(services.close)
    return services


def group_quiet(ctx: click.Context | None) -> bool:
    """Whether the ``factcheck`` group was given ``--quiet``."""
    return bool(ctx is not None and ctx.find_root().params.get("quiet"))


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))
