"""``factcheck tune-verdicts``: the verdict rule's thresholds tuned on half of the claim
cases and measured on the other half (:mod:`evaluation.tuning` does the work). It reports;
it changes no setting."""

from __future__ import annotations

import json
from pathlib import Path

import click

from evaluation.datasets import CLAIMS_PATH, read_claims
from evaluation.tuning import (
    DEFAULT_DECISION_THRESHOLDS,
    DEFAULT_MIN_SIMILARITIES,
    DEFAULT_SPLIT_SEED,
    tune_verdicts,
)
from service.cli.context import emit_json, open_services
from service.cli.errors import FactcheckCommand


def _floats(ctx: click.Context, param: click.Parameter, value: str | None):
    if value is None:
        return None
    try:
        values = tuple(float(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise click.BadParameter(f"expected comma-separated numbers, got {value!r}") from None
    if not values:
        raise click.BadParameter("give at least one number")
    return values


@click.command("tune-verdicts", cls=FactcheckCommand)
@click.option(
    "--claims",
    "claims_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=CLAIMS_PATH,
    show_default=True,
    help="Claim cases with gold verdicts, checked against the corpus (the seed corpus).",
)
@click.option(
    "--split-seed",
    type=int,
    default=DEFAULT_SPLIT_SEED,
    show_default=True,
    help="Seed of the split into a tuning half and a test half (stratified by verdict).",
)
@click.option(
    "--decision-thresholds",
    callback=_floats,
    help="Comma-separated decision thresholds to try [default: 0.30 to 0.95 by 0.05].",
)
@click.option(
    "--min-similarities",
    callback=_floats,
    help="Comma-separated similarity floors to try [default: 0.25 to 0.60 by 0.05].",
)
@click.option(
    "--threshold-only",
    is_flag=True,
    help="Tune the decision threshold alone, at the current similarity floor.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the JSON report to this file.",
)
@click.pass_context
def tune_verdicts_command(
    ctx: click.Context,
    claims_file: Path,
    split_seed: int,
    decision_thresholds: tuple[float, ...] | None,
    min_similarities: tuple[float, ...] | None,
    threshold_only: bool,
    out: Path | None,
) -> None:
    """Grid-search the decision threshold (and the similarity floor) on a tuning half of
    the claim cases; print, as JSON, verdict accuracy on the tuning and the test half for
    the current settings and for the best point. Nothing is changed: set
    FACTCHECK_DECISION_THRESHOLD / FACTCHECK_MIN_SIMILARITY from it."""
    if threshold_only and min_similarities is not None:
        raise click.UsageError("--threshold-only and --min-similarities exclude each other")
    cases = read_claims(claims_file)
    services = open_services(ctx)
    checks, settings = services.checks, services.settings

    def check(claim: str, floor: float):
        return checks.check(claim, min_similarity=floor).verdict

    report = tune_verdicts(
        check,
        cases,
        current_decision_threshold=settings.decision_threshold,
        current_min_similarity=settings.min_similarity,
        seed=split_seed,
        decision_thresholds=decision_thresholds or DEFAULT_DECISION_THRESHOLDS,
        min_similarities=None if threshold_only else min_similarities or DEFAULT_MIN_SIMILARITIES,
    )
    report = {"claims": str(claims_file), "model": services.model.version, **report}
    emit_json(report)
    if out is not None:
        try:
            out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"{out}: cannot write ({exc.strerror or exc})") from None
