"""Batch evaluation: metrics against hand-counted answers, datasets, report files, the
regression gate, the ``evaluate`` command and the nightly script."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import service.cli.evaluate as evaluation_cli
from evaluation.datasets import (
    CLAIMS_PATH,
    NEWS_PAIRS_PATH,
    VERDICTS,
    DatasetError,
    detect_format,
    read_claims,
    read_pairs,
)
from evaluation.gate import GateError, find_regressions
from evaluation.report import REPORT_FILES, write_report
from evaluation.runner import EvaluationError, evaluate_claims, evaluate_pairs, run_evaluation
from models.labels import NLI_LABELS
from models.metrics import (
    classification_metrics,
    expected_calibration_error,
    reliability_bins,
)
from service.cli.evaluate import EXIT_REGRESSION, evaluate_command

ROOT = Path(__file__).resolve().parents[2]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# A tiny fixture with answers counted by hand. Columns: entailment, neutral, contradiction.
#   gold  pred  confidence  15-bin index (conf in (b/15, (b+1)/15])
#   ent   ent   0.90        13   right
#   ent   ent   0.85        12   right
#   ent   neu   0.62         9   wrong
#   neu   neu   0.70        10   right
#   neu   con   0.50         7   wrong
#   con   con   0.90        13   right
#   con   ent   0.62         9   wrong
#   con   con   0.85        12   right
FIXTURE_GOLD = [0, 0, 0, 1, 1, 2, 2, 2]
FIXTURE_PROBS = np.array(
    [
        [0.90, 0.06, 0.04],
        [0.85, 0.10, 0.05],
        [0.20, 0.62, 0.18],
        [0.10, 0.70, 0.20],
        [0.20, 0.30, 0.50],
        [0.05, 0.05, 0.90],
        [0.62, 0.08, 0.30],
        [0.10, 0.05, 0.85],
    ]
)
# Confusion (rows gold, columns predicted) counted from the table above.
FIXTURE_CONFUSION = [[2, 1, 0], [0, 1, 1], [1, 0, 2]]
# Each class: 2 of 3 predicted right (precision), 2 of 3 gold found (recall), so F1 2/3;
# neutral: 1 of 2 and 1 of 2, F1 1/2. Macro-F1 = (2/3 + 1/2 + 2/3) / 3 = 11/18.
FIXTURE_MACRO_F1 = 11 / 18
# Bins: 13 {.9,.9} acc 1; 12 {.85,.85} acc 1; 9 {.62,.62} acc 0; 10 {.7} acc 1; 7 {.5} acc 0.
# ECE = (2*.10 + 2*.15 + 2*.62 + 1*.30 + 1*.50) / 8 = 2.54 / 8
FIXTURE_ECE = 2.54 / 8


def fixture_rows() -> list[dict[str, str]]:
    return [
        {
            "id": f"t{i}",
            "premise": f"Premise number {i} about the council vote.",
            "hypothesis": f"Hypothesis number {i}.",
            "label": NLI_LABELS[gold],
            "rationale": "test fixture",
            "source": "written",
        }
        for i, gold in enumerate(FIXTURE_GOLD)
    ]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def fixture_score(pairs):
    """Deterministic score function: the fixture row named by the premise's number."""
    return np.array([FIXTURE_PROBS[int(premise.split()[2])] for premise, _ in pairs])


@pytest.fixture
def pairs_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "tiny_pairs.jsonl", fixture_rows())


@pytest.fixture
def fixture_scorer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``evaluate`` score with :func:`fixture_score` instead of loading a model."""
    monkeypatch.setattr(evaluation_cli, "pair_scorer", lambda services: fixture_score)


def invoke(args: list[str]):
    return CliRunner().invoke(evaluate_command, args)


# --------------------------------------------------------------------------- metrics


def test_metrics_match_hand_counted_fixture() -> None:
    metrics = classification_metrics(FIXTURE_PROBS, FIXTURE_GOLD, NLI_LABELS)

    assert metrics["n"] == 8
    assert metrics["confusion"] == FIXTURE_CONFUSION
    assert metrics["accuracy"] == pytest.approx(5 / 8)
    assert metrics["macro_f1"] == pytest.approx(FIXTURE_MACRO_F1)
    assert metrics["per_class"]["entailment"] == pytest.approx(
        {"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3, "support": 3}
    )
    assert metrics["per_class"]["neutral"] == pytest.approx(
        {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    )
    assert metrics["per_class"]["contradiction"] == pytest.approx(
        {"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3, "support": 3}
    )
    assert metrics["ece"] == pytest.approx(FIXTURE_ECE)


def test_class_never_predicted_scores_zero_not_nan() -> None:
    probs = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    metrics = classification_metrics(probs, [0, 1, 2], NLI_LABELS)

    neutral = metrics["per_class"]["neutral"]
    assert (neutral["precision"], neutral["recall"], neutral["f1"]) == (0.0, 0.0, 0.0)
    # entailment: precision 1/2, recall 1 -> F1 2/3; contradiction F1 1; neutral 0.
    assert metrics["macro_f1"] == pytest.approx((2 / 3 + 0 + 1) / 3)


def test_reliability_bins_and_ece_edges() -> None:
    probs = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    bins = reliability_bins(probs, [0, 1])
    assert len(bins) == 15
    assert bins[-1]["count"] == 2  # confidence exactly 1.0 lands in the last bin
    assert expected_calibration_error(probs, [0, 1]) == 0.0
    # Confident and always wrong: ECE is the full gap.
    assert expected_calibration_error(probs, [1, 0]) == pytest.approx(1.0)


# --------------------------------------------------------------------------- datasets


def test_read_project_pairs_and_claims() -> None:
    pairs = read_pairs(NEWS_PAIRS_PATH)
    assert pairs.name == "news_pairs"
    assert pairs.format == "jsonl"
    counts = {label: sum(ex.label == label for ex in pairs.examples) for label in NLI_LABELS}
    assert len(pairs) >= 100
    assert min(counts.values()) >= 30, counts
    assert len({ex.id for ex in pairs.examples}) == len(pairs)

    claims = read_claims(CLAIMS_PATH)
    by_verdict = {v: sum(c.verdict == v for c in claims) for v in VERDICTS}
    assert len(claims) >= 30
    assert min(by_verdict.values()) >= 10, by_verdict
    embassy = [c for c in claims if c.claim == "Russia plans to close its embassy in Kabul."]
    assert [(c.verdict, c.evidence_article) for c in embassy] == [
        ("refuted", "003_d093af9fcdfad0bd")
    ]


def test_project_data_points_at_real_seed_text() -> None:
    """Seed-sourced premises are quoted from the seed article; evidence articles exist; the
    product brief's two example pairs are not among the pairs."""
    seeds = {
        path.stem: path.read_text(encoding="utf-8").replace("\xa0", " ")
        for path in (ROOT / "seeds").glob("*.txt")
    }
    by_prefix = {stem[:3]: text for stem, text in seeds.items()}
    rows = [json.loads(line) for line in NEWS_PAIRS_PATH.read_text().splitlines()]
    for row in rows:
        if row["source"].startswith("seed:"):
            assert row["premise"] in by_prefix[row["source"][5:]], row["id"]
        else:
            assert row["source"] == "written", row["id"]
        text = row["premise"] + " " + row["hypothesis"]
        assert not ("not been made aware" in text and "baseless" in text), row["id"]
        assert not (
            "communication channels opened" in text and "not sharing information" in text
        ), row["id"]
    for claim in read_claims(CLAIMS_PATH):
        if claim.verdict == "not_enough_info":
            assert claim.evidence_article is None, claim.id
        else:
            assert claim.evidence_article in seeds, claim.id


def test_snli_and_sick_readers(tmp_path: Path) -> None:
    snli = write_jsonl(
        tmp_path / "snli_dev.jsonl",
        [
            {"premise": "A dog runs.", "hypothesis": "An animal runs.", "label": "entailment"},
            {"premise": "A dog runs.", "hypothesis": "A cat sleeps.", "label": "-"},
            {"premise": "A dog runs.", "hypothesis": "The dog sits.", "label": 2},
        ],
    )
    dataset = read_pairs(snli)
    assert detect_format(snli) == "snli"
    assert (dataset.name, [ex.label for ex in dataset.examples]) == (
        "snli_dev",
        ["entailment", "contradiction"],
    )

    sick = tmp_path / "SICK.tsv"
    sick.write_text(
        "pair_ID\tsentence_A\tsentence_B\tentailment_label\tSemEval_set\n"
        "1\tA man plays.\tA man is playing.\tENTAILMENT\tTRAIN\n"
        "2\tA man plays.\tNobody plays.\tCONTRADICTION\tTEST\n"
        "3\tA man plays.\tA woman sings.\tNEUTRAL\tTEST\n",
        encoding="utf-8",
    )
    test_split = read_pairs(sick, split="TEST")
    assert detect_format(sick) == "sick"
    assert test_split.name == "SICK-TEST"
    assert [ex.label for ex in test_split.examples] == ["contradiction", "neutral"]
    assert len(read_pairs(sick)) == 3
    assert len(read_pairs(sick, split="TEST", limit=1)) == 1


BAD_INPUTS = {
    "missing file": (None, "no such file"),
    "non-JSON line": ('{"id": "a", "premise": "p", "hypothesis": "h", "label": "neutral"}\n'
                      "this is not json\n", ":2: not valid JSON"),
    "unknown label": ('{"id": "a", "premise": "p", "hypothesis": "h", "label": "neutral"}\n'
                      '{"id": "b", "premise": "p", "hypothesis": "h", "label": "neutral"}\n'
                      '{"id": "c", "premise": "p", "hypothesis": "h", "label": "maybe"}\n',
                      ":3: unknown label 'maybe'"),
    "empty file": ("", "file is empty"),
    "missing field": ('{"id": "a", "premise": "p", "label": "neutral"}\n',
                      ":1: missing field 'hypothesis'"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_error_naming_file_and_line(
    case: str, tmp_path: Path, fixture_scorer: None
) -> None:
    content, expected = BAD_INPUTS[case]
    path = tmp_path / "bad_pairs.jsonl"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    out = tmp_path / "out"

    with pytest.raises(DatasetError, match=expected):
        read_pairs(path)
    result = invoke(["--pairs", str(path), "--out", str(out)])

    assert result.exit_code == 1, result.output
    assert f"Error: {path}" in result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert not (out / "metrics.json").exists()


# --------------------------------------------------------------------------- runner


def test_evaluate_pairs_pools_and_splits_by_dataset(pairs_file: Path, tmp_path: Path) -> None:
    other = write_jsonl(tmp_path / "other.jsonl", fixture_rows()[:4])
    datasets = [read_pairs(pairs_file), read_pairs(other)]
    calls: list[int] = []

    def counting_score(pairs):
        calls.append(len(pairs))
        return fixture_score(pairs)

    result = evaluate_pairs(counting_score, datasets, batch_size=3)

    assert calls == [3, 3, 2, 3, 1]  # batches never straddle datasets
    metrics = result.metrics
    assert metrics["primary_metric"] == "macro_f1"
    assert metrics["n"] == 12
    assert set(metrics["datasets"]) == {"tiny_pairs", "other"}
    tiny = metrics["datasets"]["tiny_pairs"]
    assert tiny["macro_f1"] == pytest.approx(FIXTURE_MACRO_F1)
    assert tiny["ece"] == pytest.approx(FIXTURE_ECE)
    assert tiny["confusion"] == FIXTURE_CONFUSION
    assert metrics["pairs_per_second"] > 0
    # Misclassified: rows 2, 4, 6 of the fixture, and row 2 again in "other".
    assert sorted((e["dataset"], e["id"]) for e in result.errors) == [
        ("other", "t2"),
        ("tiny_pairs", "t2"),
        ("tiny_pairs", "t4"),
        ("tiny_pairs", "t6"),
    ]


@pytest.mark.parametrize(
    "bad_output, message",
    [
        (lambda pairs: np.zeros((len(pairs), 2)), "shape"),
        (lambda pairs: np.full((len(pairs), 3), 2.0), "probabilities"),
        (lambda pairs: np.full((len(pairs), 3), np.nan), "NaN"),
    ],
)
def test_unusable_score_function_output_is_refused(pairs_file: Path, bad_output, message) -> None:
    with pytest.raises(EvaluationError, match=message):
        evaluate_pairs(bad_output, [read_pairs(pairs_file)])


def test_evaluate_claims_accepts_strings_and_verdict_objects() -> None:
    claims = read_claims(CLAIMS_PATH)

    class Verdict:
        def __init__(self, verdict: str) -> None:
            self.verdict = verdict

    gold = {claim.claim: claim.verdict for claim in claims}
    perfect = evaluate_claims(lambda text: Verdict(gold[text]), claims)
    assert perfect.metrics["accuracy"] == 1.0
    assert perfect.metrics["macro_f1"] == 1.0
    assert perfect.errors == []

    always_refuted = evaluate_claims(lambda text: "refuted", claims)
    n_refuted = sum(c.verdict == "refuted" for c in claims)
    assert always_refuted.metrics["accuracy"] == pytest.approx(n_refuted / len(claims))
    # Refuted: precision n_refuted/n, recall 1; the other two classes score 0.
    precision = n_refuted / len(claims)
    refuted_f1 = 2 * precision / (precision + 1)
    assert always_refuted.metrics["macro_f1"] == pytest.approx(refuted_f1 / 3)
    assert len(always_refuted.errors) == len(claims) - n_refuted

    with pytest.raises(EvaluationError, match="expected one of"):
        evaluate_claims(lambda text: "probably true", claims)


# --------------------------------------------------------------------------- report


def test_cli_writes_complete_report(pairs_file: Path, tmp_path: Path, fixture_scorer) -> None:
    import matplotlib.image

    out = tmp_path / "report"
    result = invoke(["--pairs", str(pairs_file), "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert "tiny_pairs" in result.output and "0.6111" in result.output  # summary table
    for name in REPORT_FILES:
        assert (out / name).is_file(), name
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # no staging left
    for png in ("confusion.png", "reliability.png"):
        assert (out / png).read_bytes()[:8] == PNG_MAGIC
        image = matplotlib.image.imread(out / png)
        assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 2
    assert "0.6111" in (out / "report.md").read_text(encoding="utf-8")

    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("n", "accuracy", "macro_f1", "per_class", "confusion", "ece"):
        assert key in metrics and key in metrics["datasets"]["tiny_pairs"], key
    assert metrics["primary_metric"] == "macro_f1"
    assert metrics["pairs_per_second"] > 0
    assert metrics["macro_f1"] == pytest.approx(FIXTURE_MACRO_F1)
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert [e["id"] for e in errors] == ["t2", "t4", "t6"]
    assert errors[0]["probabilities"] == pytest.approx(dict(zip(NLI_LABELS, FIXTURE_PROBS[2])))


def test_failed_write_leaves_no_metrics_json(
    pairs_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evaluation.report as report

    out = tmp_path / "out"
    good = evaluate_pairs(fixture_score, [read_pairs(pairs_file)])
    write_report(out, good.metrics, good.errors)
    assert (out / "metrics.json").exists()

    def broken_plot(metrics):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "_reliability_png", broken_plot)
    with pytest.raises(RuntimeError, match="disk full"):
        write_report(out, {**good.metrics, "n": 99}, good.errors)
    # The previous run's files are untouched and nothing half-written is left behind.
    assert json.loads((out / "metrics.json").read_text())["n"] == 8
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []

    with pytest.raises(ValueError):
        write_report(tmp_path / "nan", {**good.metrics, "accuracy": float("nan")}, [])
    assert not (tmp_path / "nan" / "metrics.json").exists()


# --------------------------------------------------------------------------- gate


def test_find_regressions() -> None:
    current = classification_metrics(FIXTURE_PROBS, FIXTURE_GOLD, NLI_LABELS)
    assert find_regressions(current, current) == []

    better = json.loads(json.dumps(current))
    better["macro_f1"] += 0.01  # exactly the tolerance: passes
    better["per_class"]["neutral"]["f1"] += 0.2
    found = find_regressions(better, current, tolerance=0.01)
    assert [(r.metric, r.baseline, r.current) for r in found] == [
        ("per_class.neutral.f1", pytest.approx(0.7), pytest.approx(0.5))
    ]
    assert find_regressions(better, current, tolerance=0.25) == []
    # Gains never fail the gate.
    assert find_regressions(current, better) == []

    other_data = {**better, "n": 9}
    with pytest.raises(GateError, match="no section scored on the same data"):
        find_regressions(other_data, current)


def test_gate_fails_cli_on_better_baseline_and_names_metric(
    pairs_file: Path, tmp_path: Path, fixture_scorer
) -> None:
    first = tmp_path / "night1"
    result = invoke(["--pairs", str(pairs_file), "--out", str(first)])
    assert result.exit_code == 0, result.output

    # Same data, same scores: the gate passes.
    second = tmp_path / "night2"
    baseline = first / "metrics.json"
    result = invoke(["--pairs", str(pairs_file), "--out", str(second), "--baseline", str(baseline)])
    assert result.exit_code == 0, result.output
    assert "gate: passed" in result.output

    # A baseline that was better on contradiction: exit status 3, the metric named.
    better = json.loads(baseline.read_text())
    better["datasets"]["tiny_pairs"]["per_class"]["contradiction"]["f1"] = 0.9
    better_path = write_jsonl(tmp_path / "better.json", [better])
    third = tmp_path / "night3"
    result = invoke(
        ["--pairs", str(pairs_file), "--out", str(third), "--baseline", str(better_path)]
    )
    assert result.exit_code == EXIT_REGRESSION, result.output
    assert "datasets.tiny_pairs.per_class.contradiction.f1 fell from 0.9000" in result.output
    assert "Traceback" not in result.output
    # The report is still written, and records the failed gate.
    gate = json.loads((third / "metrics.json").read_text())["gate"]
    assert gate["passed"] is False
    assert [r["metric"] for r in gate["regressions"]] == [
        "datasets.tiny_pairs.per_class.contradiction.f1"
    ]

    # A larger tolerance lets the same drop pass.
    result = invoke(
        ["--pairs", str(pairs_file), "--out", str(third), "--baseline", str(better_path),
         "--tolerance", "0.3"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def test_bad_baseline_is_an_error_before_scoring(pairs_file: Path, tmp_path: Path) -> None:
    def must_not_load(services):
        raise AssertionError("the model must not load when the baseline is unreadable")

    baseline = tmp_path / "baseline.json"
    baseline.write_text("{not json", encoding="utf-8")
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(evaluation_cli, "pair_scorer", must_not_load)
        result = runner.invoke(
            evaluate_command,
            ["--pairs", str(pairs_file), "--out", str(tmp_path / "o"), "--baseline", str(baseline)],
        )
    assert result.exit_code == 1, result.output
    assert "baseline is not valid JSON" in result.output


# --------------------------------------------------------------------------- CLI


def test_cli_limit_json_default_pairs_and_claims(
    tmp_path: Path, fixture_scorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    gold = {claim.claim: claim.verdict for claim in read_claims(CLAIMS_PATH)}
    seen: list[str | None] = []

    def fake_checker(services):
        seen.append(services.settings.nli_model)
        return lambda claim: gold[claim]

    monkeypatch.setattr(evaluation_cli, "claim_checker", fake_checker)
    # Default pairs are the project's news pairs; score them with a constant function.
    monkeypatch.setattr(
        evaluation_cli,
        "pair_scorer",
        lambda services: lambda pairs: np.tile([0.2, 0.5, 0.3], (len(pairs), 1)),
    )
    out = tmp_path / "out"
    result = invoke(
        ["--out", str(out), "--limit", "7", "--claims", str(CLAIMS_PATH), "--json",
         "--model", "some/model"]
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert list(metrics["datasets"]) == ["news_pairs"]
    assert metrics["n"] == 7
    assert metrics["claims"]["n"] == 7 and metrics["claims"]["accuracy"] == 1.0
    assert metrics["run"]["model"] == "some/model"
    assert seen == ["some/model"]
    assert json.loads((out / "metrics.json").read_text())["n"] == 7


def test_split_needs_a_sick_file(pairs_file: Path, tmp_path: Path, fixture_scorer) -> None:
    result = invoke(["--pairs", str(pairs_file), "--split", "TEST", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1, result.output
    assert "--split TEST applies to SICK files" in result.output


def test_factcheck_cli_has_evaluate_command() -> None:
    from service.cli import cli

    result = CliRunner().invoke(cli, ["evaluate", "--help"])
    assert result.exit_code == 0, result.output
    assert "--baseline" in result.output


def _tiny_checkpoint(path: Path, id2label: dict[int, str]) -> Path:
    """A randomly initialised two-layer BERT with a 30-word vocabulary, saved like any
    Hugging Face checkpoint."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    words = "the a of to in and said was were is not taliban russia embassy police minister"
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", *words.split()]
    path.mkdir()
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=512,
        num_labels=3,
        id2label=id2label,
        label2id={label: i for i, label in id2label.items()},
    )
    BertForSequenceClassification(config).save_pretrained(path)
    BertTokenizer(str(path / "vocab.txt")).save_pretrained(path)
    return path


def test_cli_end_to_end_with_a_real_checkpoint(tmp_path: Path) -> None:
    model = _tiny_checkpoint(
        tmp_path / "tiny-nli", {0: "contradiction", 1: "entailment", 2: "neutral"}
    )
    out = tmp_path / "out"
    result = invoke(
        ["--model", str(model), "--limit", "12", "--batch-size", "5", "--out", str(out),
         "--no-progress"]
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == 12
    assert sum(map(sum, metrics["confusion"])) == 12
    assert 0.0 <= metrics["ece"] <= 1.0
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    for error in errors:
        assert sum(error["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
    assert len(errors) == 12 - round(metrics["accuracy"] * 12)


def test_checkpoint_without_nli_labels_is_a_clear_error(tmp_path: Path) -> None:
    model = _tiny_checkpoint(tmp_path / "generic", {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})
    result = invoke(["--model", str(model), "--limit", "2", "--out", str(tmp_path / "out")])

    assert result.exit_code == 1, result.output
    assert "cannot load NLI model" in result.output and "id2label" in result.output
    assert not (tmp_path / "out" / "metrics.json").exists()


# --------------------------------------------------------------------------- nightly


def test_nightly_script_gates_against_previous_night(tmp_path: Path) -> None:
    """run-nightly.sh with a stand-in interpreter that records its arguments."""
    fake_python = tmp_path / "fake-python"
    fake_python.write_text(
        "#!/usr/bin/env bash\n"
        'printf "%s\\n" "$@" > "$FAKE_ARGS"\n'
        "while [[ $# -gt 0 ]]; do [[ $1 == --out ]] && out=$2; shift; done\n"
        'echo "{\\"macro_f1\\": 0.5, \\"n\\": 1}" > "$out/metrics.json"\n'
        'exit "${FAKE_STATUS:-0}"\n',
        encoding="utf-8",
    )
    fake_python.chmod(fake_python.stat().st_mode | stat.S_IEXEC)
    runs = tmp_path / "runs"
    for night, with_metrics in (("2024-05-01", True), ("2024-05-02", True), ("2024-05-03", False)):
        (runs / night).mkdir(parents=True)
        if with_metrics:
            (runs / night / "metrics.json").write_text("{}")
    (runs / "2024-05-09").mkdir()  # a later folder must never be the baseline
    (runs / "2024-05-09" / "metrics.json").write_text("{}")
    args_file = tmp_path / "args.txt"
    env = {
        **os.environ,
        "FACTCHECK_ROOT": str(ROOT),
        "FACTCHECK_PYTHON": str(fake_python),
        "FACTCHECK_NIGHTLY_DIR": str(runs),
        "FACTCHECK_NIGHTLY_DATE": "2024-05-04",
        "FAKE_ARGS": str(args_file),
    }
    script = ROOT / "evaluation" / "nightly" / "run-nightly.sh"

    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    args = args_file.read_text().splitlines()
    assert args[:2] == ["-m", "evaluation"]
    assert args[args.index("--out") + 1] == str(runs / "2024-05-04")
    # 2024-05-03 left no metrics.json (a failed night); the one before it is the baseline.
    assert args[args.index("--baseline") + 1] == str(runs / "2024-05-02" / "metrics.json")
    assert (runs / "2024-05-04" / "metrics.json").exists()

    failed = subprocess.run(
        [str(script)], env={**env, "FAKE_STATUS": "3"}, capture_output=True, text=True, timeout=60
    )
    assert failed.returncode == 3, failed.stdout + failed.stderr
    assert "REGRESSION" in failed.stderr


def test_run_evaluation_records_gate_error_after_writing(pairs_file: Path, tmp_path: Path) -> None:
    baseline = {"macro_f1": 0.9, "n": 999, "per_class": {}}
    with pytest.raises(GateError):
        run_evaluation(fixture_score, [read_pairs(pairs_file)], baseline=baseline,
                       output_dir=tmp_path / "o")  # fmt: skip
    metrics = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert metrics["gate"]["passed"] is False and "same data" in metrics["gate"]["error"]
