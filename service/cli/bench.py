"""``factcheck bench``: speed and accuracy, the project's path against the naive one
(:mod:`evaluation.bench` does the measuring)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from evaluation.bench import SECTIONS, BenchError, BenchPlan, format_report, run_bench
from service.cli.context import open_services
from service.cli.errors import FactcheckCommand


@click.command("bench", cls=FactcheckCommand)
@click.option("--quick", is_flag=True, help="Smaller sizes (400 pairs, corpora 1×/5×/20×).")
@click.option("--json", "as_json", is_flag=True, help="Also write bench.json into --out.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("runs/bench"),
    show_default=True,
    help="Folder for bench.txt (the table) and bench.json.",
)
@click.option(
    "--data",
    "nli_data",
    type=click.Path(path_type=Path),
    help="Folder holding snli_dev.jsonl (the SNLI data; `make bench` passes it) [default: "
    "the news pairs plus pairs generated from the seed sentences].",
)
@click.option(
    "--model",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="NLI checkpoint folder [default: FACTCHECK_NLI_MODEL, else the shipped one].",
)
@click.option(
    "--backend",
    type=click.Choice(["onnx", "torch"]),
    help="NLI backend of the project's path [default: FACTCHECK_NLI_BACKEND, else onnx].",
)
@click.option(
    "--only",
    default=",".join(SECTIONS),
    show_default=True,
    help="Comma-separated sections to run.",
)
@click.pass_context
def bench_command(
    ctx: click.Context,
    quick: bool,
    as_json: bool,
    out: Path,
    nli_data: Path | None,
    model: Path | None,
    backend: str | None,
    only: str,
) -> None:
    """Measure speed and accuracy: NLI pairs/s against CrossEncoder.predict, embeddings/s,
    POST /check latency (cold and warm) and peak memory of `factcheck serve`, ingest time
    (articles one by one) and the corpus sweep at 1×, 10× and 100× the seed corpus. Takes
    15-20 minutes on two cores; --quick a few."""
    sections = tuple(s.strip() for s in only.split(",") if s.strip())
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown or not sections:
        raise BenchError(
            f"unknown section(s) {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(SECTIONS)}"
        )
    if nli_data is not None:
        if not nli_data.is_dir():
            raise BenchError(f"{nli_data}: no such folder")
        if not (nli_data / "snli_dev.jsonl").is_file():
            raise BenchError(f"{nli_data}: holds no snli_dev.jsonl")
    updates: dict[str, str] = {}
    if model is not None:
        updates["nli_model"] = str(model.resolve())
    if backend is not None:
        updates["nli_backend"] = backend
    services = open_services(ctx, updates)
    plan = BenchPlan.quick() if quick else BenchPlan.full()
    results = run_bench(services, nli_data=nli_data, plan=plan, sections=sections, echo=click.echo)
    report = format_report(results)
    click.echo("")
    click.echo(report, nl=False)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "bench.txt").write_text(report, encoding="utf-8")
        if as_json:
            (out / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    except OSError as exc:
        raise click.ClickException(f"{out}: cannot write ({exc.strerror or exc})") from None
    click.echo(f"written to {out}")
