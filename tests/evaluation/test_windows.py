"""`factcheck evaluate --windows sentence` on document-level pairs, and balanced accuracy
for binary data sets (`label_binary`), on a small FRANK-like file written here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import service.cli.evaluate as evaluation_cli
from evaluation.datasets import DatasetError, read_pairs
from evaluation.runner import evaluate_pairs
from models.metrics import balanced_accuracy, binary_metrics
from models.windows import split_sentences
from service.cli import cli
from service.cli.evaluate import evaluate_command

ENT, NEU, CON = [0.90, 0.06, 0.04], [0.10, 0.80, 0.10], [0.05, 0.10, 0.85]

# Articles of a few paragraphs, one paragraph a line, as FRANK's are.
BRIDGE = (
    "Bridge reopens after repairs\n\n"
    "The Elm Street bridge reopened on Monday after six months of repairs. "
    "Drivers had used a detour through the industrial estate since March.\n\n"
    "The works cost $3 million, the county said. The county will not raise tolls.\n\n"
    "Cyclists welcomed the new lane on the bridge."
)
FLOOD = (
    "Flood warning lifted\n\n"
    "The river fell below its warning level on Sunday night. Schools in the valley will "
    "reopen on Tuesday.\n\n"
    "The council said no homes had been flooded."
)

# (id, premise, hypothesis, label, label_binary, split). The fake model below entails a
# claim stated word for word in one sentence, contradicts one whose sentence it finds with
# "not", and reads a premise of more than one sentence as neutral: a cross-encoder that
# cannot read a whole document.
ROWS = [
    ("f1", BRIDGE, "The works cost $3 million, the county said.", "entailment", "test"),
    ("f2", BRIDGE, "The county will raise tolls.", "contradiction", "test"),
    ("f3", BRIDGE, "The bridge was closed for a year.", "contradiction", "test"),
    ("f4", FLOOD, "The council said no homes had been flooded.", "entailment", "test"),
    ("f5", FLOOD, "The mayor visited the valley.", "neutral", "test"),
    ("v1", FLOOD, "Schools in the valley will reopen on Tuesday.", "entailment", "valid"),
]


def fake_score(pairs):
    rows = []
    for premise, claim in pairs:
        if len(split_sentences(premise)) > 1:
            rows.append(NEU)
        elif claim.rstrip(".") in premise:
            rows.append(ENT)
        elif " not " in premise and claim.replace("will ", "will not ")[:-1] in premise:
            rows.append(CON)
        else:
            rows.append(NEU)
    return np.array(rows)


def write_pairs(path: Path) -> Path:
    lines = [
        {
            "premise": premise,
            "hypothesis": hypothesis,
            "label": label,
            "label_binary": "entailment" if label == "entailment" else "not_entailment",
            "id": pair_id,
            "split": split,
        }
        for pair_id, premise, hypothesis, label, split in ROWS
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def frank_like(tmp_path: Path) -> Path:
    return write_pairs(tmp_path / "frank_like.jsonl")


@pytest.fixture
def fake_scorer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluation_cli, "pair_scorer", lambda services: fake_score)


def test_balanced_accuracy_by_hand():
    # gold: 3 entailment, 1 not; predicted entailment for 1 of the 3, and for the other one.
    assert balanced_accuracy([0, 0, 0, 1], [0, 1, 1, 0]) == pytest.approx((1 / 3 + 0) / 2)
    assert balanced_accuracy([0, 0, 1, 1], [0, 0, 0, 0]) == pytest.approx(0.5)
    binary = binary_metrics([True, True, True, False], [True, False, False, False])
    assert binary == pytest.approx(
        {
            "n": 4,
            "balanced_accuracy": (1 / 3 + 1) / 2,
            "accuracy": 0.5,
            "recall_entailment": 1 / 3,
            "recall_not_entailment": 1.0,
        }
    )


def test_label_binary_and_split_are_read(frank_like: Path):
    dataset = read_pairs(frank_like, split="test")
    assert dataset.name == "frank_like-test" and len(dataset) == 5 and dataset.binary
    assert [ex.label_binary for ex in dataset.examples][:2] == ["entailment", "not_entailment"]
    assert len(read_pairs(frank_like)) == 6
    with pytest.raises(DatasetError, match="no labelled pairs with split 'dev'"):
        read_pairs(frank_like, split="dev")


def test_an_unknown_label_binary_names_the_line(tmp_path: Path):
    path = tmp_path / "bad.jsonl"
    row = {"id": "a", "premise": "P.", "hypothesis": "H.", "label": "neutral"}
    path.write_text(json.dumps(row) + "\n" + json.dumps({**row, "label_binary": "maybe"}) + "\n")
    with pytest.raises(DatasetError, match=r"bad.jsonl:2: unknown label_binary 'maybe'"):
        read_pairs(path)
    assert not read_pairs(path, limit=1).binary


def test_windows_read_each_document_sentence_by_sentence(frank_like: Path):
    dataset = read_pairs(frank_like, split="test")
    whole = evaluate_pairs(fake_score, [dataset]).metrics
    assert whole["accuracy"] == pytest.approx(1 / 5)  # every document read as neutral
    assert "windows" not in whole["datasets"]["frank_like-test"]

    result = evaluate_pairs(fake_score, [dataset], windows="sentence")
    section = result.metrics["datasets"]["frank_like-test"]
    # f1, f2, f4 and f5 right; f3 (no sentence says so) read as neutral.
    assert section["accuracy"] == pytest.approx(4 / 5)
    assert section["confusion"] == [[2, 0, 0], [0, 1, 0], [0, 1, 1]]
    assert section["windows"] == "sentence" and section["window_sentences"] == 1
    sentences = {pair_id: len(split_sentences(p)) for pair_id, p, *_ in ROWS}
    assert section["windows_scored"] == sum(sentences[f"f{i}"] for i in range(1, 6))
    # Binary: entailment gold f1, f4 both predicted; not-entailment f2, f3, f5 all not.
    assert section["balanced_accuracy"] == pytest.approx(1.0)
    assert result.metrics["balanced_accuracy"] == pytest.approx(1.0)
    [error] = result.errors
    assert error["id"] == "f3" and error["gold_binary"] == "not_entailment"
    window = error["window"]
    assert BRIDGE[window["start"] : window["end"]] == window["text"]


def test_wider_windows_score_adjacent_sentences_too(frank_like: Path):
    dataset = read_pairs(frank_like, split="test", limit=1)
    section = evaluate_pairs(fake_score, [dataset], windows="sentence", window_sentences=2)
    n = len(split_sentences(BRIDGE))
    assert section.metrics["datasets"]["frank_like-test"]["windows_scored"] == 2 * n - 1


def test_the_command_reports_balanced_accuracy_next_to_macro_f1(
    frank_like: Path, tmp_path: Path, fake_scorer
):
    out = tmp_path / "run"
    args = ["--pairs", str(frank_like), "--split", "test", "--windows", "sentence"]
    result = CliRunner().invoke(evaluate_command, [*args, "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[0].split()
    assert header[header.index("macro_f1") + 1] == "bal_acc_binary"
    row = result.output.splitlines()[2].split()
    assert row[0] == "frank_like-test" and row[header.index("bal_acc_binary")] == "1.0000"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["run"]["windows"] == "sentence"
    assert metrics["datasets"]["frank_like-test"]["binary"]["n"] == 5
    report = (out / "report.md").read_text()
    assert "Premises read in sentence windows" in report and "bal_acc_binary" in report
    assert "balanced accuracy of entailment vs not" in (out / "report.html").read_text()


def test_a_data_set_without_label_binary_shows_a_dash(tmp_path: Path, fake_scorer):
    path = tmp_path / "plain.jsonl"
    row = {"id": "a", "premise": "The bridge reopened.", "hypothesis": "The bridge reopened."}
    path.write_text(json.dumps({**row, "label": "entailment"}) + "\n")
    result = CliRunner().invoke(
        evaluate_command, ["--pairs", str(path), "--out", str(tmp_path / "o"), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    header, _, row = result.output.splitlines()[:3]
    assert row.split()[header.split().index("bal_acc_binary")] == "-"
    assert "balanced_accuracy" not in json.loads((tmp_path / "o" / "metrics.json").read_text())


def test_split_on_a_file_without_splits_is_an_error(tmp_path: Path, fake_scorer):
    path = tmp_path / "plain.jsonl"
    path.write_text(
        json.dumps({"id": "a", "premise": "P.", "hypothesis": "H.", "label": "neutral"})
    )
    result = CliRunner().invoke(
        evaluate_command, ["--pairs", str(path), "--split", "test", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "JSON lines with a 'split' field, and no --pairs file is one" in result.output


def test_windows_with_the_real_model(services, frank_like: Path, tmp_path: Path):
    out = tmp_path / "real"
    args = ["evaluate", "--pairs", str(frank_like), "--windows", "sentence", "--no-progress"]
    result = CliRunner().invoke(
        cli, [*args, "--out", str(out), "--json"], obj={"services": services}
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)
    section = metrics["datasets"]["frank_like"]
    assert section["n"] == 6 and 0.0 <= section["balanced_accuracy"] <= 1.0
    assert section["windows_scored"] == sum(len(split_sentences(p)) for _, p, *_ in ROWS)
