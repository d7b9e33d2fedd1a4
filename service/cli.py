"""The ``factcheck`` command line: the same service functions the API calls.

Domain errors become a one-line message and exit status 1, never a traceback.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from models.nli import LabelMappingError
from service.articles import ArticleError
from service.corpus import CorpusError
from service.engine import InvalidInput
from service.settings import Settings

#: Errors that carry a message meant for the user.
USER_ERRORS = (ArticleError, InvalidInput, CorpusError, LabelMappingError, FileNotFoundError)


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain errors into a one-line ``Error: ...`` and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except USER_ERRORS as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise click.ClickException(f"{exc.filename or ''}: {exc.strerror or exc}") from None

    return wrapper


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def cli_cache(ctx: click.Context):
    """The Redis cache for this invocation (opened once, closed when the command ends), or
    ``None`` with ``--no-cache``. NLI answers are shared with the server and later runs."""
    root = ctx.find_root()
    obj = root.ensure_object(dict)
    if not obj.get("use_cache", True):
        return None
    if "cache" not in obj:
        from service.cache import open_cache

        obj["cache"] = open_cache(obj["settings"])
        root.call_on_close(obj["cache"].close)
    return obj["cache"]


def cli_scorer(ctx: click.Context):
    """The NLI pair scorer commands use: an injected one (tests), else the configured model
    behind the Redis pair cache."""
    from service.factory import build_scorer

    obj = ctx.find_root().obj
    if obj.get("scorer") is not None:
        return obj["scorer"]
    return build_scorer(obj["settings"], cache=cli_cache(ctx))


def _engine(ctx: click.Context, seed_if_empty: bool = True):
    from service.factory import build_fact_checker

    return build_fact_checker(
        ctx.obj["settings"], scorer=cli_scorer(ctx), seed_if_empty=seed_if_empty
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    try:
        settings = Settings(**({"data_dir": data_dir} if data_dir else {}))
    except ValueError as exc:
        raise click.ClickException(f"invalid configuration: {exc}") from None
    ctx.ensure_object(dict)
    ctx.obj.setdefault("settings", settings)
    ctx.obj.setdefault("use_cache", cache)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@user_errors
def ingest(ctx: click.Context, paths: tuple[Path, ...], as_json: bool) -> None:
    """Add articles to the corpus: plain-text files, folders of .txt files, or - for stdin.

    With no PATH, ingests the seed corpus. Re-ingesting an article changes nothing (its id is
    a hash of its text).
    """
    from tqdm.auto import tqdm

    from service.articles import read_articles

    settings: Settings = ctx.obj["settings"]
    articles = read_articles(paths or [settings.seeds_dir], max_chars=settings.max_text_chars)
    engine = _engine(ctx, seed_if_empty=False)
    results = []
    for article in tqdm(articles, desc="Ingesting", unit="article", disable=len(articles) < 5):
        results.extend(engine.ingest([article]))
    if as_json:
        emit_json([r.__dict__ for r in results])
        return
    for r in results:
        state = f"added, {r.claims} claims" if r.added else "already in the corpus"
        click.echo(f"{r.article_id}  {r.source or ''}  {state}")
    click.echo(f"corpus: {engine.store.count_articles()} articles, {engine.claim_count} claims")


@cli.command()
@click.option("--top", "-n", default=10, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@user_errors
def contradictions(ctx: click.Context, top: int, as_json: bool) -> None:
    """Rank contradicting claim pairs across the corpus, most probable first."""
    from service.schemas import ContradictionPublic

    found = _engine(ctx).contradictions(top)
    if as_json:
        emit_json([ContradictionPublic.of(c).model_dump() for c in found])
        return
    if not found:
        click.echo("no contradictions found")
    for rank, c in enumerate(found, 1):
        click.echo(
            f"{rank:>2}. contradiction {c.contradiction:.2f}  (similarity {c.similarity:.2f})"
        )
        for claim, title in ((c.a, c.title_a), (c.b, c.title_b)):
            speaker = f" [{claim.speaker}]" if claim.speaker else ""
            click.echo(f"    {claim.article_id} {title or ''}{speaker}")
            click.echo(f"      {claim.text}")


@cli.command()
@click.argument("claim")
@click.option("--top-k", type=click.IntRange(1, 100), help="Evidence sentences to retrieve.")
@click.option("--min-similarity", type=click.FloatRange(-1, 1), help="Evidence similarity floor.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@user_errors
def check(
    ctx: click.Context, claim: str, top_k: int | None, min_similarity: float | None, as_json: bool
) -> None:
    """Verdict on CLAIM against the corpus: supported, refuted or not_enough_info."""
    from service.schemas import VerdictPublic

    verdict = _engine(ctx).check(claim, top_k=top_k, min_similarity=min_similarity)
    if as_json:
        emit_json(VerdictPublic.of(verdict).model_dump())
        return
    click.echo(f"{verdict.verdict}  (confidence {verdict.confidence:.2f})")
    for e in verdict.evidence:
        p = e.probabilities
        click.echo(
            f"  {e.label:<13} sim {e.similarity:.2f}  E {p['entailment']:.2f} "
            f"N {p['neutral']:.2f} C {p['contradiction']:.2f}  {e.claim.article_id}"
            f"[{e.claim.start}:{e.claim.end}]"
        )
        click.echo(f"      {e.claim.text}")


@cli.command()
@click.argument("premise")
@click.argument("hypothesis")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@user_errors
def pair(ctx: click.Context, premise: str, hypothesis: str, as_json: bool) -> None:
    """NLI probabilities for one (PREMISE, HYPOTHESIS) pair."""
    from models.nli import NLI_LABELS
    from service.engine import require_text

    settings: Settings = ctx.obj["settings"]
    require_text(premise, "premise", settings.max_claim_chars)
    require_text(hypothesis, "hypothesis", settings.max_claim_chars)
    scorer = cli_scorer(ctx)
    probs = dict(zip(NLI_LABELS, map(float, scorer([(premise, hypothesis)])[0])))
    label = max(probs, key=probs.__getitem__)
    if as_json:
        emit_json({"label": label, "probabilities": probs})
        return
    click.echo(label)
    for name, p in probs.items():
        click.echo(f"  {name:<13} {p:.3f}")


@cli.command(
    "train-nli",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def train_nli(args: tuple[str, ...]) -> None:
    """Train the NLI cross-encoder (the recipe in models/training.py; --help lists options).

    Example: factcheck train-nli --data DATA_DIR --out runs/nli (DATA_DIR: see models/README.md)
    """
    from models.training import main as training_main

    raise SystemExit(training_main(list(args)))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Processes."
)
@click.pass_context
@user_errors
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Run the REST API (docs at /docs) until interrupted.

    Without FACTCHECK_REDIS_URL / REDIS_URL, an embedded Redis keeps the cache under the data
    directory. Writes need an X-API-Key: FACTCHECK_API_KEYS, else a development key that is
    generated into the data directory and printed here.
    """
    from service.api import serve as run_api

    run_api(
        ctx.obj["settings"],
        host=host,
        port=port,
        workers=workers,
        scorer=ctx.obj.get("scorer"),
        echo=click.echo,
    )


def main() -> None:
    cli()


from evaluation.cli import evaluate_command  # noqa: E402

cli.add_command(evaluate_command)

from service.bench import bench_command  # noqa: E402

cli.add_command(bench_command)
