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
from typing import Any

import click

from evaluation.datasets import (
    CLAIMS_PATH,
    NEWS_PAIRS_PATH,
    PAIR_FORMATS,
    DatasetError,
    PairDataset,
    detect_format,
    read_claims,
    read_pairs,
)
from evaluation.gate import DEFAULT_TOLERANCE, GateError, load_metrics
from evaluation.report import SUMMARY_HEADERS, format_table, summary_rows
from evaluation.runner import (
    DEFAULT_BATCH_SIZE,
    CheckFn,
    EvaluationError,
    ScoreFn,
    run_evaluation,
)

logger = logging.getLogger(__name__)

#: Exit status when the regression gate fails (errors exit 1, usage errors 2).
EXIT_REGRESSION = 3


class RegressionGateFailed(click.ClickException):
    """The run is worse than the baseline by more than the tolerance."""

    exit_code = EXIT_REGRESSION


def evaluation_settings(model: str | None) -> Any:
    """The ``factcheck`` group's settings (``--data-dir`` honoured), else the environment's,
    with ``--model`` replacing the configured NLI model."""
    from service.settings import Settings

    settings = _group_settings() or Settings()
    if model is not None:
        settings = settings.model_copy(update={"nli_model": model})
    return settings


def build_scorer(settings: Any) -> ScoreFn:
    """The score function ``evaluate`` scores pairs with: the configured NLI model behind the
    same Redis pair cache as the service (``factcheck --no-cache`` turns it off), so a re-run
    of an unchanged model on unchanged data costs no inference.

    :raises OSError, ValueError: the checkpoint cannot be loaded or lacks NLI labels.
    """
    from service.cli import cli_cache
    from service.factory import build_nli
    from service.factory import build_scorer as cached_scorer

    model = build_nli(settings).load()  # load now, so a bad checkpoint fails before any work
    ctx = click.get_current_context()
    ctx.find_root().ensure_object(dict).setdefault("settings", settings)
    return cached_scorer(settings, cache=cli_cache(ctx), scorer=model.predict_pairs)


def build_checker(settings: Any, scorer: ScoreFn) -> CheckFn:
    """The claim checker ``evaluate --claims`` runs, ``claim -> verdict``: the service's engine
    over the corpus of ``settings``, scoring pairs with ``scorer`` so that claims and pairs
    are judged by the same model."""
    from service.factory import build_fact_checker

    return build_fact_checker(settings, scorer=scorer).check


@click.command("evaluate")
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
@click.option("--split", default=None, help="SICK files only: keep this SemEval_set (TEST).")
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
def evaluate_command(
    pairs_files: tuple[Path, ...],
    fmt: str | None,
    split: str | None,
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
    try:
        datasets = _read_datasets(pairs_files or (NEWS_PAIRS_PATH,), fmt, split, limit)
        claims = read_claims(claims_file, limit=limit) if claims_file else None
        baseline_metrics = load_metrics(baseline) if baseline else None
    except (DatasetError, GateError) as exc:
        raise click.ClickException(str(exc)) from None

    try:
        settings = evaluation_settings(model)
        score_fn = build_scorer(settings)
    except (OSError, ValueError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise click.ClickException(
            f"cannot load NLI model {model or 'shipped checkpoint'}: {first_line}"
        ) from None
    check_fn = build_checker(settings, score_fn) if claims else None

    run_info = {
        "model": model or "shipped checkpoint",
        "pairs": [str(dataset.path) for dataset in datasets],
        "claims": str(claims_file) if claims_file else None,
        "limit": limit,
        "baseline": str(baseline) if baseline else None,
    }
    try:
        result = run_evaluation(
            score_fn,
            datasets,
            check_fn=check_fn,
            claims=claims,
            baseline=baseline_metrics,
            tolerance=tolerance,
            output_dir=out_dir,
            batch_size=batch_size,
            show_progress_bar=progress and not _group_quiet(),
            run_info=run_info,
        )
    except (EvaluationError, GateError) as exc:
        raise click.ClickException(str(exc)) from None

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


def _group_quiet() -> bool:
    """Whether the ``factcheck`` group was given ``--quiet``."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.find_root().params.get("quiet"))


def _group_settings() -> Any:
    """The ``Settings`` the ``factcheck`` group built (honours ``--data-dir``), if any."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return obj.get("settings") if isinstance(obj, dict) else None


def _read_datasets(
    paths: tuple[Path, ...], fmt: str | None, split: str | None, limit: int | None
) -> list[PairDataset]:
    """Read every pairs file; ``split`` applies to the SICK ones and must match one."""
    formats = [fmt or detect_format(path) for path in paths]
    if split is not None and "sick" not in formats:
        raise DatasetError(f"--split {split} applies to SICK files, and no --pairs file is one")
    datasets = [
        read_pairs(path, fmt_, split if fmt_ == "sick" else None, limit)
        for path, fmt_ in zip(paths, formats)
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
