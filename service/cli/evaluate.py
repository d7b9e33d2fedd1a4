"""``factcheck evaluate``: batch evaluation of the NLI model (and the claim engine) against
labelled data, with a regression gate.

Exit status: 0 evaluated (and the gate passed), 1 an error (bad input, model, baseline),
2 a usage error, 3 the regression gate failed. Reports are written even when the gate
fails.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from evaluation.datasets import (
    CLAIMS_PATH,
    NEWS_PAIRS_PATH,
    PAIR_FORMATS,
    DatasetError,
    PairDataset,
    carries_split,
    detect_format,
    read_claims,
    read_pairs,
)
from evaluation.gate import DEFAULT_TOLERANCE, load_metrics
from evaluation.report import SUMMARY_HEADERS, format_table, summary_rows
from evaluation.runner import (
    DEFAULT_BATCH_SIZE,
    WINDOW_MODES,
    CheckFn,
    ScoreFn,
    run_evaluation,
)
from service.cli.context import group_quiet, open_services
from service.cli.errors import FactcheckCommand
from service.container import Services

logger = logging.getLogger(__name__)

#: Exit status when the regression gate fails (errors exit 1, usage errors 2).
EXIT_REGRESSION = 3


class RegressionGateFailed(click.ClickException):
    """The run is worse than the baseline by more than the tolerance."""

    exit_code = EXIT_REGRESSION


def pair_scorer(services: Services) -> ScoreFn:
    """The score function ``evaluate`` scores pairs with: the configured NLI model behind the
    same Redis pair cache as the service (``factcheck --no-cache`` turns it off), so a re-run
    of an unchanged model on unchanged data costs no inference. The model is loaded here,
    so that a bad checkpoint fails before any work.

    :raises ModelUnavailable: the checkpoint cannot be loaded or lacks NLI labels.
    """
    services.nli  # noqa: B018 - load now
    return services.scorer


def claim_checker(services: Services) -> CheckFn:
    """The claim checker ``evaluate --claims`` runs, ``claim -> verdict``: the service's check
    over the corpus of the settings, with the same model (and pair cache) as the pairs."""
    checks = services.checks
    return lambda claim: checks.check(claim).verdict


@click.command("evaluate", cls=FactcheckCommand)
@click.option(
    "--pairs",
    "pairs_files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Labelled NLI pairs (repeatable). Default: the project's news pairs.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(PAIR_FORMATS),
    default=None,
    help="Format of every --pairs file; detected from each file when omitted.",
)
@click.option(
    "--split",
    default=None,
    help="Keep this split of the files that have one: SICK's SemEval_set (TEST), or the "
    "'split' field of JSON lines (FRANK's test); other files are read whole.",
)
@click.option(
    "--windows",
    type=click.Choice(WINDOW_MODES),
    default="none",
    show_default=True,
    help="sentence: read each premise as a document, in sentence windows (max entailment / "
    "max contradiction, as POST /verify does), for data sets of whole articles (FRANK).",
)
@click.option(
    "--window-sentences",
    type=click.IntRange(1, 3),
    default=1,
    show_default=True,
    help="With --windows sentence: windows of up to this many consecutive sentences.",
)
@click.option(
    "--claims",
    "claims_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=f"Claim-verdict cases to run through the claim engine (e.g. {CLAIMS_PATH.name}).",
)
@click.option(
    "--model",
    default=None,
    metavar="PATH_OR_ID",
    help="NLI checkpoint directory or hub id. Default: the shipped checkpoint.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for metrics.json, report.md/.html, plots and errors.jsonl.",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A previous run's metrics.json; fail when macro-F1 or a per-class F1 drops.",
)
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0.0),
    default=DEFAULT_TOLERANCE,
    show_default=True,
    help="Largest drop (0..1 scale) the gate lets pass.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="Evaluate only the first N pairs (and claims) of each file.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Pairs per call of the score function (one progress-bar step).",
)
@click.option(
    "--progress/--no-progress",
    default=True,
    help="Progress bar on stderr (off with factcheck --quiet).",
)
@click.option("--json", "as_json", is_flag=True, help="Print metrics.json instead of a table.")
@click.pass_context
def evaluate_command(
    ctx: click.Context,
    pairs_files: tuple[Path, ...],
    fmt: str | None,
    split: str | None,
    windows: str,
    window_sentences: int,
    claims_file: Path | None,
    model: str | None,
    out_dir: Path,
    baseline: Path | None,
    tolerance: float,
    limit: int | None,
    batch_size: int,
    progress: bool,
    as_json: bool,
) -> None:
    """Evaluate the NLI model on labelled pairs and write a report to --out."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    datasets = _read_datasets(pairs_files or (NEWS_PAIRS_PATH,), fmt, split, limit)
    claims = read_claims(claims_file, limit=limit) if claims_file else None
    baseline_metrics = load_metrics(baseline) if baseline else None

    services = open_services(ctx, {"nli_model": model} if model is not None else None)
    score_fn = pair_scorer(services)
    check_fn = claim_checker(services) if claims else None

    run_info = {
        "model": model or "shipped checkpoint",
        "pairs": [str(dataset.path) for dataset in datasets],
        "claims": str(claims_file) if claims_file else None,
        "limit": limit,
        "baseline": str(baseline) if baseline else None,
        "windows": windows,
        "window_sentences": window_sentences if windows != "none" else None,
    }
    result = run_evaluation(
        score_fn,
        datasets,
        check_fn=check_fn,
        claims=claims,
        baseline=baseline_metrics,
        tolerance=tolerance,
        output_dir=out_dir,
        batch_size=batch_size,
        show_progress_bar=progress and not group_quiet(ctx),
        run_info=run_info,
        windows=windows,
        window_sentences=window_sentences,
    )

    metrics = result.metrics
    if as_json:
        click.echo(json.dumps(metrics, indent=2))
    else:
        click.echo(format_table(SUMMARY_HEADERS, summary_rows(metrics)))
        if "claims" in metrics:
            claims_metrics = metrics["claims"]
            click.echo(
                f"claims: n={claims_metrics['n']} accuracy={claims_metrics['accuracy']:.4f} "
                f"macro_f1={claims_metrics['macro_f1']:.4f}"
            )
        click.echo(f"report: {out_dir / 'report.html'}")
        if baseline_metrics is not None and not result.regressions:
            click.echo(f"gate: passed against {baseline} (tolerance {tolerance})")
    if result.regressions:
        details = "; ".join(str(regression) for regression in result.regressions)
        raise RegressionGateFailed(
            f"regression gate failed against {baseline} (tolerance {tolerance}): {details}"
        )


def _read_datasets(
    paths: tuple[Path, ...], fmt: str | None, split: str | None, limit: int | None
) -> list[PairDataset]:
    """Read every pairs file; ``split`` applies to the files that have splits (SICK, JSON
    lines with a ``split`` field), and at least one must."""
    formats = [fmt or detect_format(path) for path in paths]
    by_split = [split is not None and carries_split(p, f) for p, f in zip(paths, formats)]
    if split is not None and not any(by_split):
        raise DatasetError(
            f"--split {split} applies to SICK files and to JSON lines with a 'split' field, "
            "and no --pairs file is one"
        )
    datasets = [
        read_pairs(path, fmt_, split if use_split else None, limit)
        for path, fmt_, use_split in zip(paths, formats, by_split)
    ]
    seen: dict[str, int] = {}
    unique = []
    for dataset in datasets:
        count = seen[dataset.name] = seen.get(dataset.name, 0) + 1
        if count > 1:
            dataset = PairDataset(
                f"{dataset.name}-{count}", dataset.path, dataset.format, dataset.examples
            )
        unique.append(dataset)
    return unique
