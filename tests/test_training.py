"""The training recipe and the augmentation: a few steps on a tiny slice, so they cannot rot."""

from __future__ import annotations

import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from models import augment  # noqa: E402
from models.nli import NliModel, resolve_label_ids  # noqa: E402
from models.training import CHECKPOINT_FILES, export_fp16, main, train_nli  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

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

#: The product brief's examples; they must never be generated as training pairs.
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


@pytest.fixture()
def tiny_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("snli_test.jsonl", "snli_dev.jsonl"):
        with open(data / name, "w", encoding="utf-8") as fh:
            for premise, hypothesis, label in TINY:
                fh.write(
                    json.dumps({"premise": premise, "hypothesis": hypothesis, "label": label})
                    + "\n"
                )
    return data


@pytest.fixture(scope="module")
def seed_sentences() -> list[tuple[str, str]]:
    return augment.load_seed_sentences(ROOT / "seeds")


def test_train_a_few_steps_writes_a_loadable_checkpoint(tiny_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    info = train_nli(
        tiny_data,
        out,
        epochs=1,
        batch_size=4,
        max_length=32,
        limit=12,
        eval_limit=9,
        augment_per_class=4,
    )

    for name in ("config.json", "model.safetensors", "tokenizer.json", "training_info.json"):
        assert (out / name).is_file(), name
    config = json.loads((out / "config.json").read_text())
    assert resolve_label_ids(config["id2label"]) == (0, 1, 2)

    written = json.loads((out / "training_info.json").read_text())
    assert written == json.loads(json.dumps(info))
    assert set(written["data"]["train"]) == {"snli_test.jsonl"}
    assert set(written["data"]["held_out"]) == {"snli_dev.jsonl"}
    assert len(written["data"]["train"]["snli_test.jsonl"]) == 64  # sha256 hex
    assert written["hyperparameters"]["seed"] == 13
    assert written["train_pairs"] == 12
    assert [e["epoch"] for e in written["epochs"]] == [0, 1]
    assert 0.0 <= written["snli_dev_accuracy"] <= 1.0
    assert sum(written["augmentation_counts"].values()) > 0

    fp16 = export_fp16(out, tmp_path / "fp16")
    assert {p.name for p in fp16.iterdir()} <= set(CHECKPOINT_FILES)
    assert (fp16 / "model.safetensors").stat().st_size < 0.6 * (
        out / "model.safetensors"
    ).stat().st_size
    probs = NliModel(str(fp16)).predict_pairs([TINY[0][:2], TINY[1][:2]])
    assert probs.shape == (2, 3)
    assert abs(float(probs.sum(axis=1).max()) - 1.0) < 1e-4


def test_main_help_and_missing_out(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "--limit" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["--data", "somewhere"])
    assert exc.value.code != 0


def test_augmentation_is_deterministic_and_balanced(seed_sentences) -> None:
    premises = [p for p, _, _ in TINY]
    first = augment.make_pairs(seed_sentences, premises, seed=5, per_class=300)
    again = augment.make_pairs(seed_sentences, premises, seed=5, per_class=300)
    other = augment.make_pairs(seed_sentences, premises, seed=6, per_class=300)
    assert first == again
    assert first != other
    labels = [p["label"] for p in first]
    assert {labels.count(label) for label in augment.LABELS} == {300}
    for pair in first:
        assert set(pair) == {"premise", "hypothesis", "label", "kind", "source"}
        assert pair["label"] in augment.KIND_LABELS[pair["kind"]].split("|")
        assert pair["premise"] != pair["hypothesis"]


def test_augmentation_produces_every_kind(seed_sentences) -> None:
    captions = sorted({sentence for p, h, _ in TINY for sentence in (p, h)})
    pairs = augment.make_pairs(seed_sentences, captions, seed=13, per_class=3000)
    kinds = {p["kind"] for p in pairs}
    assert kinds == set(augment.KIND_LABELS), set(augment.KIND_LABELS) - kinds
    assert {p["source"] for p in pairs} == {"seeds", "templates", "snli"}


def test_augmentation_never_contains_the_brief_examples(seed_sentences) -> None:
    pairs = augment.make_pairs(seed_sentences, seed=13, per_class=3000)
    generated = {(p["premise"], p["hypothesis"]) for p in pairs}
    for premise, hypothesis in BRIEF_PAIRS:
        assert (premise, hypothesis) not in generated
        assert (hypothesis, premise) not in generated


@pytest.mark.parametrize(
    ("rule", "sentence", "expected"),
    [
        (augment.negate, "The embassy has been closed.", "The embassy has not been closed."),
        (augment.negate, "The government has not been told.", "The government has been told."),
        (augment.change_number, "It shares an 843 miles long border.", None),
        (augment.antonym, "The minister confirmed the deal.", "The minister denied the deal."),
        (
            augment.drop_attribution,
            "Talks will resume in May, said Dmitry Peskov.",
            "Talks will resume in May.",
        ),
    ],
)
def test_rules(rule, sentence: str, expected: str | None) -> None:
    import random

    out = rule(sentence, random.Random(0))
    assert out is not None and out != sentence
    if expected is not None:
        assert out == expected
    else:
        assert "843" not in out
