"""``factcheck check`` and ``factcheck pair``: the same service calls as ``POST /check`` and
``POST /pairs``, with the same ``--json`` shapes."""

from __future__ import annotations

import click

from service.cli.context import emit_json, open_services
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
