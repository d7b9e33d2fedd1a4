"""POST /verify: the same answer as CheckService.verify, and bad input answered with a 4xx
JSON that names the field and the problem."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from tests.documents import LONG_ARTICLE, LONG_ARTICLE_SENTENCES
from tests.support import SEEDS

SEED_003 = next(SEEDS.glob("003_*.txt")).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def client(services):
    with TestClient(create_app(services=services)) as client:
        yield client


def test_verify_finds_the_sentence_of_a_seed_article(client):
    claim = "Tajikistan holds Russia's largest international military base."
    response = client.post("/verify", json={"claim": claim, "document": SEED_003})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verdict"] == "supported" and body["label"] == "entailment"
    window = body["window"]
    assert SEED_003[window["start"] : window["end"]] == window["text"]
    assert "Tajikistan holds Russia's largest international military base" in window["text"]
    assert window["label"] == "entailment"
    assert set(body["probabilities"]) == {"entailment", "neutral", "contradiction"}
    assert body["cache"] == "miss" and body["windows"] > 20
    assert len(body["top_entailment"]) == len(body["top_contradiction"]) == 3


def test_verify_reads_a_long_article_in_wider_windows(client):
    claim = "Construction is expected to begin in the spring of 2024."
    response = client.post(
        "/verify", json={"claim": claim, "document": LONG_ARTICLE, "window_sentences": 2}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["windows"] == 2 * LONG_ARTICLE_SENTENCES - 1 and body["window_sentences"] == 2
    assert body["verdict"] == "supported"
    for window in (body["window"], *body["top_entailment"], *body["top_contradiction"]):
        assert LONG_ARTICLE[window["start"] : window["end"]] == window["text"]
    assert "spring of 2024" in body["window"]["text"]


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"claim": "", "document": "A sentence."}, "claim", "empty"),
        ({"claim": " \n\t", "document": "A sentence."}, "claim", "empty"),
        ({"claim": "\u200b\u200d\u2060", "document": "A sentence."}, "claim", "invisible"),
        ({"claim": "x" * 1_001, "document": "A sentence."}, "claim", "1000 characters"),
        ({"claim": "A claim.", "document": ""}, "document", "empty"),
        ({"claim": "A claim.", "document": "\ufeff\u200b \n"}, "document", "invisible"),
        ({"claim": "A claim.", "document": "x" * 200_001}, "document", "200000 characters"),
        ({"document": "A sentence."}, "claim", "Field required"),
        ({"claim": "A claim."}, "document", "Field required"),
        (
            {"claim": "A claim.", "document": "A sentence.", "window_sentences": 4},
            "window_sentences",
            "less than or equal to 3",
        ),
        (
            {"claim": "A claim.", "document": "A sentence.", "window_sentences": "2"},
            "window_sentences",
            "integer",
        ),
        ({"claim": "A claim.", "document": "A sentence.", "url": "x"}, "url", "Extra inputs"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, payload, field, message):
    response = client.post("/verify", json=payload)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", field]
    assert message in error["msg"]
    assert "input" not in error  # a 200,000-character document is never echoed back


def test_a_body_that_is_not_utf8_is_a_400(client):
    body = b'{"claim": "A claim.", "document": "caf\xe9"}'
    response = client.post("/verify", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "not UTF-8" in response.json()["detail"][0]["msg"]


def test_verify_is_in_the_openapi_schema_with_its_limits(client):
    schema = client.get("/openapi.json").json()
    assert "/verify" in schema["paths"]
    request = schema["components"]["schemas"]["VerifyRequest"]["properties"]
    assert request["claim"]["maxLength"] == 1_000
    assert request["document"]["maxLength"] == 200_000
    assert request["window_sentences"]["maximum"] == 3
