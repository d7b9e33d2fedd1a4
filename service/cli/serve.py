"""``factcheck serve``: the REST API."""

from __future__ import annotations

import click

from service.cli.context import root_settings
from service.cli.errors import FactcheckCommand


@click.command(cls=FactcheckCommand)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Processes."
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Run the REST API (docs at /docs) until interrupted.

    Without FACTCHECK_REDIS_URL / REDIS_URL, an embedded Redis keeps the cache under the data
    directory. Writes need an X-API-Key: FACTCHECK_API_KEYS, else a development key that is
    generated into the data directory and printed here.
    """
    from service.api.serve import serve as run_api

    run_api(root_settings(ctx), host=host, port=port, workers=workers, echo=click.echo)
