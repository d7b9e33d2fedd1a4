"""Every pair the corpus sweep scores is kept with its label and topic gate, so that
`factcheck contradictions --label any` and `GET /contradictions?label=any` list the
candidate pairs whatever the model calls them (Peskov's "not made aware" against the
embassy's "baseless" among them), while the default list stays the contradictions."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.cli import cli
from service.engine import pair_label
from service.errors import InvalidInput
from service.store.corpus import CorpusStore

LABELS = {"entailment", "neutral", "contradiction"}


def invoke(services, *args: str):
    return CliRunner().invoke(cli, list(args), obj={"services": services})


def listed(services, *args: str) -> list[dict]:
    result = invoke(services, "contradictions", "--top", "100000", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def texts(row: dict) -> frozenset[str]:
    return frozenset((row["premise"]["sentence"], row["hypothesis"]["sentence"]))


def is_peskov_pair(row: dict) -> bool:
    joined = " || ".join(texts(row))
    return "not been made aware" in joined and "baseless" in joined


@pytest.mark.parametrize(
    ("both", "label", "direction"),
    [
        ([[0.1, 0.3, 0.6], [0.2, 0.5, 0.3]], "contradiction", 0),
        ([[0.2, 0.5, 0.3], [0.1, 0.2, 0.7]], "contradiction", 1),
        ([[0.3, 0.6, 0.1], [0.8, 0.1, 0.1]], "entailment", 1),  # the entailing direction
        ([[0.3, 0.6, 0.1], [0.2, 0.5, 0.3]], "neutral", 1),  # the more contradicting one
        ([[0.4, 0.1, 0.5], [0.6, 0.1, 0.3]], "contradiction", 0),  # contradiction first
    ],
)
def test_the_label_of_a_pair_scored_both_ways(both, label, direction):
    assert pair_label(np.array(both)) == (label, direction)


def test_label_any_lists_every_scored_pair_with_its_label(services):
    everything = listed(services, "--label", "any")
    contradictions = listed(services)
    assert contradictions == listed(services, "--label", "contradiction")
    assert {r["label"] for r in everything} <= LABELS and len(everything) > len(contradictions)
    # The contradictions are the on-topic pairs labelled so, the same pairs as before.
    assert {texts(r) for r in contradictions} == {
        texts(r) for r in everything if r["label"] == "contradiction" and r["on_topic"]
    }
    assert all(r["label"] == "contradiction" and r["on_topic"] for r in contradictions)
    for row in everything:
        p = row["probabilities"]
        assert max(p, key=p.get) == row["label"] or row["label"] != "contradiction"
    c = [r["contradiction"] for r in everything]
    assert c == sorted(c, reverse=True)  # most contradicting first


def test_the_peskov_pair_is_listed_with_whatever_label_the_model_gives(services):
    rows = [r for r in listed(services, "--label", "any") if is_peskov_pair(r)]
    assert rows, "the Peskov / embassy pair is not among the scored candidate pairs"
    for row in rows:
        assert row["label"] in LABELS
        assert set(row["probabilities"]) == LABELS


def test_one_label_at_a_time_most_probable_first(services):
    for label in ("entailment", "neutral"):
        rows = listed(services, "--label", label)
        assert rows and all(r["label"] == label for r in rows)
        p = [r["probabilities"][label] for r in rows]
        assert p == sorted(p, reverse=True)


def test_the_text_output_says_the_label(services):
    result = invoke(services, "contradictions", "--label", "neutral", "--top", "3")
    assert result.exit_code == 0, result.output
    ranks = [line for line in result.output.splitlines() if line[:3].strip().endswith(".")]
    assert len(ranks) == 3 and all(" neutral 0." in line for line in ranks)


def test_the_cli_refuses_an_unknown_label(services):
    result = invoke(services, "contradictions", "--label", "maybe")
    assert result.exit_code == 2 and "'maybe' is not one of" in result.output


def test_the_service_refuses_an_unknown_label(services):
    with pytest.raises(InvalidInput) as caught:
        services.checks.contradictions(label="maybe")
    assert caught.value.field == ("label",)


def test_get_contradictions_filters_by_label(services):
    with TestClient(create_app(services=services)) as client:
        default = client.get("/contradictions", params={"wait": 120, "limit": 100}).json()
        anything = client.get(
            "/contradictions", params={"wait": 120, "limit": 100, "label": "any"}
        ).json()
        entail = client.get("/contradictions", params={"wait": 120, "label": "entailment"})
        bad = client.get("/contradictions", params={"label": "maybe"})
    assert anything["count"] > default["count"] > 0
    assert all(r["label"] == "contradiction" and r["on_topic"] for r in default["data"])
    assert {r["label"] for r in anything["data"]} <= LABELS
    assert entail.status_code == 200
    assert all(r["label"] == "entailment" for r in entail.json()["data"])
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "label"]


def test_a_store_swept_before_labels_were_kept_is_swept_again(tmp_path):
    path = tmp_path / "corpus.sqlite3"
    CorpusStore(path, embedder_name="e").close()
    with sqlite3.connect(path) as conn:  # the table as the first sweep wrote it
        conn.execute("ALTER TABLE contradictions DROP COLUMN label")
        conn.execute("ALTER TABLE contradictions DROP COLUMN on_topic")
        conn.execute("INSERT INTO articles (id, text) VALUES ('a', 'One. Two.')")
        conn.execute(
            "INSERT INTO claims (article_id, idx, text, start, end, embedding, swept)"
            " VALUES ('a', 0, 'One.', 0, 4, x'00', 1)"
        )
    store = CorpusStore(path, embedder_name="e")
    try:
        columns = {row[1] for row in store._conn.execute("PRAGMA table_info(contradictions)")}
        assert {"label", "on_topic"} <= columns
        assert store.unswept_keys(10) == [1]  # swept again, to record every label
    finally:
        store.close()
