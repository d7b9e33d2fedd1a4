"""``factcheck bench`` (evaluation/bench): quick smoke runs of its sections and its one-line
errors. The full run takes minutes and is not part of the suite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from evaluation.bench import BenchPlan, format_report, run_bench
from service.cli import cli
from service.container import Services
from service.settings import Settings


def test_bench_quick_smoke(tiny_checkpoints, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        [
            "--data-dir",
            str(tmp_path / "data"),
            "bench",
            "--quick",
            "--only",
            "nli",
            "--json",
            "--out",
            str(out),
            "--model",
            str(tiny_checkpoints["permuted"]),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((out / "bench.json").read_text())
    for key in (
        "nli_pairs_per_s_baseline",
        "nli_pairs_per_s_project",
        "speedup",
        "accuracy_baseline",
        "accuracy_project",
        "news_macro_f1_project",
    ):
        assert key in data, key
    assert "speedup" in result.output


def test_bench_respects_the_configured_backend(tiny_checkpoints, tmp_path: Path) -> None:
    """No backend is forced: FACTCHECK_NLI_BACKEND (here torch) is what the project's path
    runs, and --backend overrides it."""
    out = tmp_path / "out"
    args = ["--data-dir", str(tmp_path / "data"), "bench", "--quick", "--only", "nli", "--json"]
    args += ["--out", str(out), "--model", str(tiny_checkpoints["canonical"])]
    result = CliRunner().invoke(cli, args, env={"FACTCHECK_NLI_BACKEND": "torch"})
    assert result.exit_code == 0, result.output
    assert json.loads((out / "bench.json").read_text())["nli_backend"] == "torch"
    assert "NliModel torch" in result.output and "onnx (fused int8)" not in result.output
    assert not (tmp_path / "data" / "onnx").exists(), "an ONNX graph was built for torch"


def test_bench_ingest_reports_one_by_one_growth(services, tiny_checkpoints, tmp_path) -> None:
    """The ingest and sweep sections on corpora of 1× and 2× the seeds: articles added one
    by one through the service API, with the growth of ingest time against linear."""
    settings = Settings(
        data_dir=tmp_path / "data",
        seeds_dir=services.settings.seeds_dir,
        nli_model=str(tiny_checkpoints["canonical"]),
        nli_backend="torch",
    )
    plan = BenchPlan(
        nli_pairs=0,
        accuracy_pairs=0,
        rounds=1,
        embed_sentences=0,
        cold_requests=0,
        warm_repeats=0,
        multipliers=(1, 2),
    )
    with Services.build(settings, embedder=services.embedder, use_cache=False) as bench:
        results = run_bench(bench, nli_data=None, plan=plan, sections=("ingest", "sweep"))
    rows = results["ingest"]
    assert [r["multiplier"] for r in rows] == [1, 2]
    assert rows[1]["articles"] == 2 * rows[0]["articles"]
    assert all(r["ingest_s"] > 0 and r["claims"] > 0 for r in rows)
    assert results["ingest_n_ratio"] == 2.0
    assert results["ingest_growth_vs_linear"] == pytest.approx(
        results["ingest_time_ratio"] / 2.0, abs=0.01
    )
    assert [r["claims"] for r in results["sweep"]] == [r["claims"] for r in rows]
    assert all(r["candidate_pairs"] <= r["pair_bound"] for r in results["sweep"])
    report = format_report(results)
    assert "ingest (articles added one by one through the service API)" in report
    assert "× linear" in report


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--data", "/nonexistent/nli"], "no such folder"),
        (["--only", "nli,warp"], "unknown section"),
    ],
)
def test_bench_bad_input_is_one_line(tmp_path: Path, args: list[str], fragment: str) -> None:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "bench", *args])
    assert result.exit_code != 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert fragment in lines[0], result.output
