"""The shipped NLI checkpoint (models/nli-minilm-l6): loads offline, labels by name, and gets
clear pairs right."""

from __future__ import annotations

import json
import os

os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from models.nli import (  # noqa: E402
    NLI_LABELS,
    SHIPPED_CHECKPOINT_DIR,
    LabelMappingError,
    NliModel,
    resolve_label_ids,
)
from models.training.recipe import CHECKPOINT_FILES  # noqa: E402
from tests.support import KABULOV_FLOAT32_MISS  # noqa: E402

CLEAR_PAIRS = {
    "entailment": [
        ("A man is playing a guitar on stage.", "A man is playing an instrument."),
        ("Two children are swimming in a lake.", "Kids are in the water."),
        ("The government raised taxes by 10 percent in 2019.", "Taxes went up in 2019."),
    ],
    "neutral": [
        ("A man is walking down the street.", "The man is on his way to work."),
        (
            "A woman is reading a book in the park.",
            "The woman is reading a novel by her favourite author.",
        ),
        (
            "The minister visited the border on Tuesday.",
            "The minister visited the border to inspect new fences.",
        ),
    ],
    "contradiction": [
        ("A woman is sleeping in her bed.", "A woman is running a marathon."),
        ("Nobody is in the kitchen.", "A chef is cooking in the kitchen."),
        (
            "The ferry terminal was closed all day on Monday.",
            "The ferry terminal was busy on Monday.",
        ),
    ],
}

#: Clear to a reader, wrong for the shipped model: an antonym in an otherwise identical
#: sentence (model card, "Known weaknesses").
KNOWN_MISS = (
    "The embassy in Kabul was closed on Monday.",
    "The embassy in Kabul was open on Monday.",
)

#: The product brief's examples: each must read as a contradiction in at least one
#: direction.
PESKOV = (
    "As per the report, the Russian government has not been made aware of the "
    "accusations, said Dmitry Peskov, the press secretary for President Vladimir V Putin."
)
#: Seed 001's two sentences where Russia and its embassy call the report "baseless".
EMBASSY_BASELESS = [
    "Meanwhile, Russia on Saturday denounced the newspaper report as “baseless” and dangerous.",
    "The “baseless and anonymous accusations,” published by the newspaper, had “already led to "
    "direct threats to the life of employees of the Russian Embassies in Washington DC and "
    "London,” the Russian Embassy in Washington wrote on Twitter.",
]
#: Seed 004: Kabulov's claim as ``extract_claims`` gives it (one sentence of his quotation),
#: the whole quotation, and the Taliban's rebuttal.
KABULOV_CLAIM = "We have communication channels opened for sharing information."
KABULOV_QUOTATION = (
    '"We have communication channels opened for sharing information. Both the Taliban of '
    "Afghanistan and the Taliban of Pakistan have said that they don't recognise (IS leader "
    "Abu Bakr) Al-Baghdadi as a caliph, that they don't recognise Isil,\" said the Russian "
    "diplomat using the other acronym for the Iraqi Islamist group."
)
TALIBAN_REFUSAL = (
    "Rejecting the envoy's assertions, a Taliban spokesperson said the two parties were not "
    "sharing information or intelligence regarding tackling IS (Daesh) in strife-torn "
    "Afghanistan."
)


@pytest.fixture(scope="session")
def shipped() -> NliModel:
    """The shipped checkpoint, loaded once."""
    return NliModel().load()


def test_checkpoint_folder_holds_only_what_ships() -> None:
    names = {p.name for p in SHIPPED_CHECKPOINT_DIR.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= names
    assert names <= set(CHECKPOINT_FILES), names - set(CHECKPOINT_FILES)
    assert (SHIPPED_CHECKPOINT_DIR / "model.safetensors").stat().st_size < 50 * 2**20


def test_config_names_all_three_labels() -> None:
    config = json.loads((SHIPPED_CHECKPOINT_DIR / "config.json").read_text())
    assert sorted(config["id2label"].values()) == sorted(NLI_LABELS)
    assert {v: int(k) for k, v in config["id2label"].items()} == config["label2id"]
    assert resolve_label_ids(config["id2label"]) == tuple(
        config["label2id"][lab] for lab in NLI_LABELS
    )


def test_training_info_records_the_recipe() -> None:
    info = json.loads((SHIPPED_CHECKPOINT_DIR / "training_info.json").read_text())
    assert "sick.tsv" not in json.dumps(info["train_pairs_by_source"])
    assert info["train_pairs_by_source"]["news"] > 9000  # both corpus editions
    assert set(info["held_out_ids"]) == {"news", "mnli", "snli", "vitaminc", "frank"}
    assert len(info["held_out_ids"]["mnli"]) == 1000
    stages = [*info["earlier_stages"], info]
    assert [stage["name"] for stage in stages] == ["stage1", "stage2", "stage3", "stage5"]
    # each stage starts from the one before it (stage 1 from the base encoder)
    for before, stage in zip(stages, stages[1:]):
        assert before["name"] in str(stage["start"]), stage["start"]
    assert info["hyperparameters"]["seed"] is not None
    assert json.loads((SHIPPED_CHECKPOINT_DIR / "calibration.json").read_text())["temperature"] > 0


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="model card: antonym miss")
def test_known_miss_antonym(shipped: NliModel) -> None:
    probs = shipped.predict_pairs([KNOWN_MISS])
    assert NLI_LABELS[int(probs.argmax())] == "contradiction"


def test_loads_offline_with_label_ids(shipped: NliModel) -> None:
    assert sorted(shipped.label_ids) == [0, 1, 2]
    assert shipped.name == "nli-minilm-l6"


@pytest.mark.parametrize("label", NLI_LABELS)
def test_clear_pairs(shipped: NliModel, label: str) -> None:
    probs = shipped.predict_pairs(CLEAR_PAIRS[label])
    assert probs.shape == (len(CLEAR_PAIRS[label]), 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    predicted = [NLI_LABELS[i] for i in probs.argmax(axis=1)]
    assert predicted == [label] * len(predicted), list(
        zip(CLEAR_PAIRS[label], predicted, strict=True)
    )


def _reads_as_contradiction(model: NliModel, premise: str, hypothesis: str) -> bool:
    """Whether the more contradicting direction's top label is contradiction (the engine's rule)."""
    both = model.score_pairs([(premise, hypothesis), (hypothesis, premise)])
    best = max(both, key=lambda scores: scores["contradiction"])
    return max(best, key=best.get) == "contradiction"


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="issue 10: trained without brief-shaped frames, the shipped model reads Peskov's "
    "'not made aware' against the embassy's 'baseless' as neutral (model card). Strict: a "
    "model that gets it right fails the marker.",
)
def test_brief_example_peskov_vs_embassy(shipped: NliModel) -> None:
    verdicts = {h[:40]: _reads_as_contradiction(shipped, PESKOV, h) for h in EMBASSY_BASELESS}
    assert any(verdicts.values()), verdicts


@KABULOV_FLOAT32_MISS
def test_brief_example_kabulov_vs_taliban(shipped: NliModel) -> None:
    assert _reads_as_contradiction(shipped, KABULOV_CLAIM, TALIBAN_REFUSAL)


def test_kabulov_whole_quotation_vs_taliban(shipped: NliModel) -> None:
    assert _reads_as_contradiction(shipped, KABULOV_QUOTATION, TALIBAN_REFUSAL)


@pytest.mark.parametrize(
    ("id2label", "expected"),
    [
        ({0: "entailment", 1: "neutral", 2: "contradiction"}, (0, 1, 2)),
        ({0: "contradiction", 1: "neutral", 2: "entailment"}, (2, 1, 0)),
        ({0: "ENTAILMENT", 1: "NEUTRAL", 2: "CONTRADICTION"}, (0, 1, 2)),
        ({"0": "Contradiction", "1": "Entailment", "2": "Neutral"}, (1, 2, 0)),
    ],
)
def test_resolve_label_ids_reads_names(id2label, expected) -> None:
    assert resolve_label_ids(id2label) == expected


@pytest.mark.parametrize(
    "id2label",
    [
        {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"},
        {0: "entailment", 1: "neutral"},
        {0: "entailment", 1: "entailment", 2: "contradiction"},
    ],
)
def test_resolve_label_ids_refuses_unnamed_or_incomplete(id2label) -> None:
    with pytest.raises(LabelMappingError):
        resolve_label_ids(id2label)
