"""The training recipe: sources, held-out slices, calibration, and a few steps on tiny data,
so the recipe cannot rot."""

from __future__ import annotations

import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from models.nli import NliModel, resolve_label_ids  # noqa: E402
from models.training import sources  # noqa: E402
from models.training.calibration import (  # noqa: E402
    expected_calibration_error,
    fit_temperature,
)
from models.training.recipe import (  # noqa: E402
    CHECKPOINT_FILES,
    export_fp16,
    main,
    parse_mix,
    train_nli,
)

ROOT = Path(__file__).resolve().parents[2]

TINY = [
    ("A man is playing a guitar on stage.", "A man is playing an instrument.", "entailment"),
    ("A man is playing a guitar on stage.", "A man is sleeping at home.", "contradiction"),
    ("A man is playing a guitar on stage.", "The man is a famous musician.", "neutral"),
    ("Two dogs run across a snowy field.", "Animals are outside.", "entailment"),
    ("Two dogs run across a snowy field.", "The dogs are asleep indoors.", "contradiction"),
    ("Two dogs run across a snowy field.", "The dogs are chasing a ball.", "neutral"),
    ("A woman in a red coat waits for the bus.", "A woman is waiting.", "entailment"),
    ("A woman in a red coat waits for the bus.", "A woman is swimming.", "contradiction"),
    ("A woman in a red coat waits for the bus.", "The woman is late for work.", "neutral"),
]

#: The product brief's examples; no training pair may hold them.
BRIEF_PAIRS = [
    (
        "As per the report, the Russian government has not been made aware of the accusations, "
        "said Dmitry Peskov, the press secretary for President Vladimir V Putin.",
        "Meanwhile, Russia on Saturday denounced the newspaper report as “baseless” and dangerous.",
    ),
    (
        '"We have communication channels opened for sharing information. Both the Taliban of '
        "Afghanistan and the Taliban of Pakistan have said that they don't recognise (IS leader "
        "Abu Bakr) Al-Baghdadi as a caliph, that they don't recognise Isil,\" said the Russian "
        "diplomat using the other acronym for the Iraqi Islamist group.",
        "Rejecting the envoy's assertions, a Taliban spokesperson said the two parties were not "
        "sharing information or intelligence regarding tackling IS (Daesh) in strife-torn "
        "Afghanistan.",
    ),
    # the claim as the engine extracts it from Kabulov's quotation
    (
        "We have communication channels opened for sharing information.",
        "Rejecting the envoy's assertions, a Taliban spokesperson said the two parties were not "
        "sharing information or intelligence regarding tackling IS (Daesh) in strife-torn "
        "Afghanistan.",
    ),
]


def _write(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")


@pytest.fixture()
def tiny_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every source file of the public folder, a few pairs each, and a tiny news corpus."""
    data = tmp_path / "data"
    data.mkdir()
    rows = [{"premise": p, "hypothesis": h, "label": lab} for p, h, lab in TINY]
    for name in ("snli_test.jsonl", "snli_dev.jsonl"):
        _write(data / name, rows)
    for name in ("mnli_taxinli.jsonl", "mnli_hard_matched.jsonl", "mnli_hard_mismatched.jsonl"):
        _write(data / name, [{**r, "id": f"{name}-{i}"} for i, r in enumerate(rows)])
    _write(
        data / "vitaminc_bigbench.jsonl",
        [{**r, "id": f"v{i}", "page": f"page {i % 4}"} for i, r in enumerate(rows)],
    )
    _write(
        data / "frank.jsonl",
        [
            {
                "premise": f"Headline.\n{r['premise']} The rest of the story.",
                "hypothesis": r["hypothesis"],
                "label": r["label"],
                "label_binary": "entailment" if r["label"] == "entailment" else "not_entailment",
                "id": f"f{i}",
                "split": "valid" if i % 2 else "test",
            }
            for i, r in enumerate(rows)
        ],
    )
    corpus = tmp_path / "news_corpus"
    corpus.mkdir()
    _write(
        corpus / "part_t.jsonl",
        [
            {**r, "id": f"nc-t-{i}", "phenomenon": "paraphrase", "topic": "t"}
            for i, r in enumerate(rows)
        ],
    )
    monkeypatch.setattr(sources, "NEWS_CORPUS_DIR", corpus)
    return data


def test_held_out_slices_are_disjoint_from_training(tiny_data: Path) -> None:
    for name in sources.SOURCES:
        train, held = sources.load_source(name, tiny_data)
        assert held, name
        if name == "snli":  # tiny test and dev files hold the same rows
            continue
        train_keys = {(r["premise"], r["hypothesis"]) for r in train}
        assert not train_keys & {(r["premise"], r["hypothesis"]) for r in held}, name
    train, held = sources.vitaminc(tiny_data)
    assert not {r["page"] for r in train} & {r["page"] for r in held}


def test_frank_training_pairs_are_windows_of_the_article(tiny_data: Path) -> None:
    train, held = sources.frank(tiny_data)
    assert train and held
    articles = [r["premise"] for r in sources.read_jsonl(tiny_data / "frank.jsonl")]
    for row in train:
        assert any(row["premise"] in a and len(row["premise"]) < len(a) for a in articles)
    assert all(row["premise"] in articles for row in held)
    window = sources.best_window(
        "Headline.\nTwo dogs run across a snowy field. Rain fell all day.", "The dogs run."
    )
    assert window.startswith("Two dogs run across a snowy field.")


def test_train_a_few_steps_writes_a_calibrated_loadable_checkpoint(
    tiny_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "model"
    info = train_nli(
        tiny_data,
        out,
        mix=parse_mix(["news=all", "mnli=4", "snli=4", "vitaminc=all", "frank=all"]),
        epochs=1,
        batch_size=4,
        max_length=32,
        eval_limit=9,
    )
    for name in ("config.json", "model.safetensors", "tokenizer.json", "training_info.json"):
        assert (out / name).is_file(), name
    config = json.loads((out / "config.json").read_text())
    assert resolve_label_ids(config["id2label"]) == (0, 1, 2)
    written = json.loads((out / "training_info.json").read_text())
    assert written == json.loads(json.dumps(info))
    assert written["train_pairs_by_source"]["mnli"] == 4
    assert set(written["held_out_ids"]) == set(sources.SOURCES)
    assert [e["epoch"] for e in written["epochs"]] == [0, 1]
    temperature = json.loads((out / "calibration.json").read_text())["temperature"]
    assert 0.05 <= temperature <= 20

    fp16 = export_fp16(out, tmp_path / "fp16")
    assert {p.name for p in fp16.iterdir()} <= set(CHECKPOINT_FILES)
    assert (fp16 / "calibration.json").is_file()
    model = NliModel(str(fp16))
    probs = model.predict_pairs([TINY[0][:2], TINY[1][:2]])
    assert model.temperature == temperature
    assert probs.shape == (2, 3)
    assert abs(float(probs.sum(axis=1).max()) - 1.0) < 1e-4


def test_mix_arguments_are_checked() -> None:
    assert parse_mix(["news=all", "mnli=10"]) == {"news": None, "mnli": 10}
    for bad in ("bogus=1", "news", "mnli=-1", "mnli=many"):
        with pytest.raises(ValueError, match="--source"):
            parse_mix([bad])


def test_main_help_and_missing_out(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "--source" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["--data", "somewhere"])
    assert exc.value.code != 0


def test_temperature_scaling_fixes_an_overconfident_model() -> None:
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, size=600)
    logits = rng.normal(size=(600, 3))
    # right 70 % of the time, but with logits that claim ~99 %
    right = rng.random(600) < 0.7
    top = np.where(right, gold, (gold + 1) % 3)
    logits[np.arange(600), top] += 6.0
    temperature = fit_temperature(logits, gold)
    assert temperature > 2
    before = expected_calibration_error(logits, gold, 1.0)
    after = expected_calibration_error(logits, gold, temperature)
    assert before > 0.2 and after < 0.08


def test_the_brief_examples_are_not_training_data() -> None:
    """No written pair and no module of the training package holds either brief example,
    and no rule or frame in their shape exists (the old augmentation is gone)."""
    package = ROOT / "models" / "training"
    code = "\n".join(p.read_text() for p in package.rglob("*.py"))
    for phrase in ("made aware", "baseless", "Kabulov", "Peskov", "Taliban", "no_reaction"):
        assert phrase not in code, phrase
    train, held = sources.news_corpus()
    texts = {r["premise"] for r in train + held} | {r["hypothesis"] for r in train + held}
    for premise, hypothesis in BRIEF_PAIRS:
        assert premise not in texts and hypothesis not in texts
    for forbidden in ("Taliban", "Kremlin", "Peskov", "Kabulov", "Kabul"):
        assert not any(forbidden in t for t in texts), forbidden
