"""The written news corpus: its promises (size, topics, phenomena, balance, blind pass) and
that no training pair or sentence repeats an evaluation pair or sentence."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from models.labels import NLI_LABELS
from models.training.sources import NEWS_CORPUS_DIR, news_corpus, read_jsonl

ROOT = Path(__file__).resolve().parents[2]
PHENOMENA = {
    "attribution",
    "comment_status",
    "numbers",
    "other_event",
    "hedging",
    "buried_negation",
    "paraphrase",
    "partial_support",
    "plans_tense",
    "quotation",
    "same_story",
}
KEYS = {"id", "premise", "hypothesis", "label", "phenomenon", "topic", "rationale"}


def normalise(text: str) -> str:
    """Case, punctuation and spacing removed: 'near repeats' compare equal."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return [row for path in sorted(NEWS_CORPUS_DIR.glob("*.jsonl")) for row in read_jsonl(path)]


def evaluation_sentences() -> set[str]:
    """Every sentence-like text of the evaluation files and the seed articles, normalised."""
    texts: set[str] = set()
    for path in (ROOT / "evaluation" / "data").glob("*.jsonl"):
        for row in read_jsonl(path):
            for key in ("premise", "hypothesis", "claim"):
                if row.get(key):
                    texts.add(normalise(row[key]))
    for path in (ROOT / "seeds").glob("*.txt"):
        for piece in re.split(r"(?<=[.!?])\s+|\n+", path.read_text(encoding="utf-8")):
            if len(piece.split()) >= 5:
                texts.add(normalise(piece))
    return texts


def test_rows_are_well_formed(rows: list[dict]) -> None:
    ids = Counter(row["id"] for row in rows)
    assert not [i for i, n in ids.items() if n > 1]
    for row in rows:
        assert set(row) == KEYS, row["id"]
        assert row["label"] in NLI_LABELS, row["id"]
        assert row["phenomenon"] in PHENOMENA, row["id"]
        assert row["premise"].strip() and row["hypothesis"].strip() and row["rationale"].strip()
        assert normalise(row["premise"]) != normalise(row["hypothesis"]), row["id"]


def test_size_topics_phenomena_and_balance(rows: list[dict]) -> None:
    assert len(rows) >= 6000
    assert len({row["topic"] for row in rows}) >= 40
    phenomena = Counter(row["phenomenon"] for row in rows)
    assert set(phenomena) == PHENOMENA and min(phenomena.values()) >= 150, phenomena
    labels = Counter(row["label"] for row in rows)
    assert max(labels.values()) / min(labels.values()) < 1.1, labels
    for phenomenon in PHENOMENA:
        per = Counter(r["label"] for r in rows if r["phenomenon"] == phenomenon)
        assert min(per[label] for label in NLI_LABELS) >= 0.15 * sum(per.values()), phenomenon


def test_no_pair_repeats_another(rows: list[dict]) -> None:
    pairs = Counter((normalise(r["premise"]), normalise(r["hypothesis"])) for r in rows)
    assert not [p for p, n in pairs.items() if n > 1]


def test_no_training_text_repeats_an_evaluation_or_seed_sentence(rows: list[dict]) -> None:
    held_out = evaluation_sentences()
    assert len(held_out) > 200  # the evaluation files and seeds were read
    repeats = [
        row["id"]
        for row in rows
        if normalise(row["premise"]) in held_out or normalise(row["hypothesis"]) in held_out
    ]
    assert not repeats


def test_blind_pass_disagreements_were_dropped(rows: list[dict]) -> None:
    by_id = {row["id"]: row for row in rows}
    blind = list(read_jsonl(NEWS_CORPUS_DIR / "blind_pass" / "labels.jsonl"))
    assert len(blind) >= 0.1 * len(rows)
    for entry in blind:
        if entry["kept"]:
            assert by_id[entry["id"]]["label"] == entry["blind_label"], entry["id"]
        else:
            assert entry["id"] not in by_id


def test_held_out_premises_never_appear_in_training() -> None:
    train, held = news_corpus()
    assert 0.08 * (len(train) + len(held)) <= len(held) <= 0.12 * (len(train) + len(held))
    assert not {r["premise"] for r in train} & {r["premise"] for r in held}


def test_corpus_files_are_plain_json_lines() -> None:
    for path in NEWS_CORPUS_DIR.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            json.loads(line)


def test_a_new_edition_leaves_the_earlier_held_out_slice_as_it_was(tmp_path: Path) -> None:
    editions = json.loads((NEWS_CORPUS_DIR / "editions.json").read_text(encoding="utf-8"))
    first = next(iter(editions))
    for name in editions[first]:
        (tmp_path / name).write_bytes((NEWS_CORPUS_DIR / name).read_bytes())
    (tmp_path / "editions.json").write_text(json.dumps({first: editions[first]}))
    _, held_before = news_corpus(tmp_path)

    later = [
        {
            "id": f"nc-z-{n:04d}",
            "premise": f"The council of Arvelle met on day {n}.",
            "hypothesis": "The council met.",
            "label": "entailment",
            "phenomenon": "paraphrase",
            "topic": "local-government",
            "rationale": "Restates the premise.",
        }
        for n in range(200)
    ]
    (tmp_path / "part_z.jsonl").write_text("\n".join(json.dumps(r) for r in later) + "\n")
    (tmp_path / "editions.json").write_text(
        json.dumps({first: editions[first], "later": ["part_z.jsonl"]})
    )
    train, held_after = news_corpus(tmp_path)
    assert [r["id"] for r in held_after if not r["id"].startswith("nc-z-")] == [
        r["id"] for r in held_before
    ]
    assert 15 <= sum(r["id"].startswith("nc-z-") for r in held_after) <= 25


def test_every_corpus_file_is_in_one_edition(tmp_path: Path) -> None:
    (tmp_path / "part_a.jsonl").write_text("")
    (tmp_path / "part_b.jsonl").write_text("")
    (tmp_path / "editions.json").write_text(json.dumps({"1": ["part_a.jsonl"]}))
    with pytest.raises(ValueError, match="part_b.jsonl"):
        news_corpus(tmp_path)
