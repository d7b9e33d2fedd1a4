"""``factcheck check``, ``factcheck verify`` and ``factcheck pair``: the same service calls
as ``POST /check``, ``POST /verify`` and ``POST /pairs``, with the same ``--json`` shapes."""

from __future__ import annotations

from pathlib import Path

import click

from service.articles import read_article_file, read_articles
from service.checks import MAX_WINDOW_SENTENCES
from service.cli.context import emit_json, open_services, root_settings
from service.cli.errors import FactcheckCommand


@click.command(cls=FactcheckCommand)
@click.argument("claim")
@click.option("--top-k", type=click.IntRange(1, 100), help="Evidence sentences to retrieve.")
@click.option("--min-similarity", type=click.FloatRange(-1, 1), help="Evidence similarity floor.")
@click.option("--json", "as_json", is_flag=True, help="Output the JSON of POST /check.")
@click.pass_context
def check(
    ctx: click.Context, claim: str, top_k: int | None, min_similarity: float | None, as_json: bool
) -> None:
    """Verdict on CLAIM against the corpus: supported, refuted or not_enough_info."""
    result = open_services(ctx).checks.check(claim, top_k=top_k, min_similarity=min_similarity)
    if as_json:
        from service.api.schemas import CheckResponse

        emit_json(CheckResponse.of_result(result).model_dump(mode="json"))
        return
    verdict = result.verdict
    click.echo(f"{verdict.verdict}  (confidence {verdict.confidence:.2f})")
    for e in verdict.evidence:
        p = e.probabilities
        click.echo(
            f"  {e.label:<13} sim {e.similarity:.2f}  E {p['entailment']:.2f} "
            f"N {p['neutral']:.2f} C {p['contradiction']:.2f}  {e.claim.article_id}"
            f"[{e.claim.start}:{e.claim.end}]"
        )
        click.echo(f"      {e.claim.text}")


@click.command(cls=FactcheckCommand)
@click.argument("claim")
@click.option(
    "--document",
    "-d",
    "document_path",
    required=True,
    type=click.Path(path_type=Path, allow_dash=True),
    help="The source document: a UTF-8 plain-text file, or - for stdin.",
)
@click.option(
    "--window-sentences",
    type=click.IntRange(1, MAX_WINDOW_SENTENCES),
    default=1,
    show_default=True,
    help="Read the document in windows of up to this many consecutive sentences.",
)
@click.option("--json", "as_json", is_flag=True, help="Output the JSON of POST /verify.")
@click.pass_context
def verify(
    ctx: click.Context, claim: str, document_path: Path, window_sentences: int, as_json: bool
) -> None:
    """Is CLAIM supported by the document? Supported, refuted or not_enough_info, with the
    sentences that decide it and their character offsets in the document."""
    limit = root_settings(ctx).max_text_chars
    if str(document_path) == "-":
        document = read_articles(["-"], max_chars=limit)[0].text
    else:
        document = read_article_file(document_path, max_chars=limit).text
    result = open_services(ctx).checks.verify(claim, document, window_sentences=window_sentences)
    if as_json:
        from service.api.schemas import VerifyResponse

        emit_json(VerifyResponse.of(result).model_dump(mode="json"))
        return
    click.echo(f"{result.verdict}  (confidence {result.confidence:.2f}; {result.windows} windows)")
    w = result.window
    click.echo(f"  deciding window [{w.start}:{w.end}]  {w.text}")
    for title, label, windows in (
        ("most entailing", "entailment", result.top_entailment),
        ("most contradicting", "contradiction", result.top_contradiction),
    ):
        click.echo(f"{title}:")
        for w in windows:
            click.echo(f"  {w.probabilities[label]:.2f} [{w.start}:{w.end}]  {w.text}")


@click.command(cls=FactcheckCommand)
@click.argument("premise")
@click.argument("hypothesis")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def pair(ctx: click.Context, premise: str, hypothesis: str, as_json: bool) -> None:
    """NLI probabilities for one (PREMISE, HYPOTHESIS) pair."""
    score = open_services(ctx).checks.score_pairs([(premise, hypothesis)]).results[0]
    if as_json:
        emit_json({"label": score.label, "probabilities": score.probabilities})
        return
    click.echo(score.label)
    for name, p in score.probabilities.items():
        click.echo(f"  {name:<13} {p:.3f}")
