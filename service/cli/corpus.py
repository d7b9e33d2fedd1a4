"""``factcheck ingest`` and ``factcheck contradictions``: the corpus from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from service.articles import read_articles
from service.checks import PAIR_LABELS
from service.cli.context import emit_json, open_services, root_settings
from service.cli.errors import FactcheckCommand


@click.command(cls=FactcheckCommand)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], as_json: bool) -> None:
    """Add articles to the corpus: plain-text files, folders of .txt files, or - for stdin.

    With no PATH, ingests the seed corpus. Re-ingesting an article changes nothing (its id is
    a hash of its text).
    """
    from tqdm.auto import tqdm

    settings = root_settings(ctx)
    articles = read_articles(paths or [settings.seeds_dir], max_chars=settings.max_text_chars)
    checks = open_services(ctx, seed_if_empty=False).checks
    results = []
    for article in tqdm(articles, desc="Ingesting", unit="article", disable=len(articles) < 5):
        ingested = checks.ingest([article])[0]
        results.append(
            {
                "article_id": ingested.article.id,
                "added": ingested.added,
                "claims": ingested.claims,
                "source": article.source,
            }
        )
    if as_json:
        emit_json(results)
        return
    for r in results:
        state = f"added, {r['claims']} claims" if r["added"] else "already in the corpus"
        click.echo(f"{r['article_id']}  {r['source'] or ''}  {state}")
    corpus = checks.corpus_info()
    click.echo(f"corpus: {corpus.articles} articles, {corpus.claims} claims")


@click.command(cls=FactcheckCommand)
@click.option("--top", "-n", default=10, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--label",
    type=click.Choice(PAIR_LABELS),
    default="contradiction",
    show_default=True,
    help="List the scored pairs with this label instead (on the same topic or not), or "
    "any: every pair the sweep scored, with its label, most contradicting first.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def contradictions(ctx: click.Context, top: int, label: str, as_json: bool) -> None:
    """Rank contradicting claim pairs across the corpus, most probable first (with
    --label, the candidate pairs the sweep scored with another label, or all of them)."""
    from service.api.schemas import ContradictionPublic

    found = open_services(ctx).checks.contradictions(limit=top, label=label).contradictions
    if as_json:
        emit_json([ContradictionPublic.of(c).model_dump() for c in found])
        return
    if not found:
        click.echo("no contradictions found" if label == "contradiction" else "no pairs found")
    for rank, c in enumerate(found, 1):
        topic = "" if c.on_topic else ", off topic"
        click.echo(
            f"{rank:>2}. {c.label} {c.probabilities[c.label]:.2f}  "
            f"(similarity {c.similarity:.2f}{topic})"
        )
        for claim, title in ((c.a, c.title_a), (c.b, c.title_b)):
            speaker = f" [{claim.speaker}]" if claim.speaker else ""
            click.echo(f"    {claim.article_id} {title or ''}{speaker}")
            click.echo(f"      {claim.text}")
