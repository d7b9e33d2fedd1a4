"""The ``factcheck`` command line: thin adapters over the same service calls as the API.

The group lives here; each command lives in the module named after what it works on
(``corpus``, ``checks``, ``serve``, ``evaluate``, ``tune``, ``bench``, ``train``). Commands
get their settings and services from :mod:`service.cli.context`; their errors become one
line in :mod:`service.cli.errors`.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from service.cli.bench import bench_command
from service.cli.checks import check, pair, verify
from service.cli.corpus import contradictions, ingest
from service.cli.errors import FactcheckGroup
from service.cli.evaluate import evaluate_command
from service.cli.serve import serve
from service.cli.train import train_nli
from service.cli.tune import tune_verdicts_command
from service.settings import Settings


@click.group(cls=FactcheckGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="factcheck")
@click.option("-v", "--verbose", is_flag=True, help="Log what the engine does (INFO level).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or log lines.")
@click.option(
    "--cache/--no-cache",
    default=True,
    show_default=True,
    help="Keep NLI answers in Redis (REDIS_URL, else an embedded server under the data dir).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Corpus and cache directory [env FACTCHECK_DATA_DIR; default ./data].",
)
@click.pass_context
def cli(ctx: click.Context, verbose: bool, quiet: bool, cache: bool, data_dir: Path | None) -> None:
    """Fact-checking and contradiction detection over a corpus of news articles.

    The corpus lives in the data directory; when it is empty, the seed articles are ingested
    first. Every setting can also be given as a FACTCHECK_* environment variable.
    """
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    level = logging.WARNING if quiet else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # Progress bars follow the log level of the models package (see models/nli.py).
    if not quiet and sys.stderr.isatty():
        logging.getLogger("models").setLevel(logging.INFO)
    for noisy in ("transformers", "sentence_transformers", "httpx", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    ctx.ensure_object(dict)
    given = ctx.obj.get("services")
    if given is not None and "settings" not in ctx.obj:  # services passed in (tests)
        if data_dir is not None:
            ctx.obj["settings"] = given.settings.model_copy(update={"data_dir": data_dir})
    elif "settings" not in ctx.obj:
        try:
            ctx.obj["settings"] = Settings(**({"data_dir": data_dir} if data_dir else {}))
        except ValueError as exc:
            raise click.ClickException(f"invalid configuration: {exc}") from None
    ctx.obj.setdefault("use_cache", cache)


for command in (ingest, contradictions, check, verify, pair, train_nli, serve, evaluate_command):
    cli.add_command(command)
cli.add_command(bench_command)
cli.add_command(tune_verdicts_command)


def main() -> None:
    cli()
