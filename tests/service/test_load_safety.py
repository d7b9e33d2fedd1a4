"""Issue 12: no request freezes the service. Scoring runs in a bounded pool (503 with
Retry-After when its queue is full), the corpus-wide sweep runs in the background and is
stored, /health never waits on scoring, and oversized requests are refused early and small.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from service.errors import Overloaded
from service.scoring import ScoringGate


class GatedScorer:
    """A fake NLI model that blocks until ``release`` is set; counts pairs."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.release.set()
        self.entered = threading.Event()
        self.pairs = 0

    def __call__(self, pairs, **kwargs):
        self.entered.set()
        assert self.release.wait(60), "the test never released the scorer"
        self.pairs += len(pairs)
        out = np.zeros((len(pairs), 3), np.float32)
        out[:, 1] = 1.0  # neutral: nothing contradicts
        return out


# -- the scoring pool ---------------------------------------------------------------------


def test_scoring_gate_refuses_beyond_its_queue_and_background_gives_way():
    gate = ScoringGate(1, max_waiting=1, wait_timeout_s=5)
    order = []
    with gate.slot():
        waiter = threading.Thread(target=lambda: _hold(gate, order, "request"))
        background = threading.Thread(target=lambda: _hold(gate, order, "sweep", True))
        background.start()
        time.sleep(0.1)
        waiter.start()
        time.sleep(0.1)
        with pytest.raises(Overloaded) as refused, gate.slot():
            pass
        assert refused.value.retry_after_s >= 1
    waiter.join(5)
    background.join(5)
    assert order == ["request", "sweep"], "background work must wait while a request waits"


def test_scoring_gate_times_out_a_request_instead_of_waiting_forever():
    gate = ScoringGate(1, max_waiting=4, wait_timeout_s=0.2)
    with gate.slot():
        started = time.monotonic()
        with pytest.raises(Overloaded), gate.slot():
            pass
        assert time.monotonic() - started < 2


def _hold(gate, order, name, background=False):
    with gate.slot(background=background):
        order.append(name)


# -- the API under slow scoring -----------------------------------------------------------


def test_health_and_contradictions_answer_while_scoring_is_stuck(app_with):
    scorer = GatedScorer()
    client = app_with(scorer, scoring_queue_size=1, scoring_wait_s=30)
    scorer.release.clear()
    scorer.entered.clear()
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(
            client.post, "/check", json={"claim": "Russia plans to close its embassy in Kabul."}
        )
        assert scorer.entered.wait(30), "the check never reached the model"
        second = pool.submit(
            client.post, "/check", json={"claim": "Russia will shut down its embassy in Kabul."}
        )
        time.sleep(0.3)  # the second check waits in the queue now
        started = time.monotonic()
        health = client.get("/health")
        assert health.status_code == 200 and time.monotonic() - started < 2
        third = client.post(
            "/check", json={"claim": "Russia intends to close the Kabul embassy soon."}
        )
        assert third.status_code == 503, third.text
        assert int(third.headers["retry-after"]) >= 1
        assert "scoring queue is full" in third.json()["detail"]
        started = time.monotonic()
        page = client.get("/contradictions")
        assert page.status_code == 200, page.text
        assert time.monotonic() - started < 5
        assert page.json()["sweep"]["state"] == "running"
        scorer.release.set()
        assert first.result(60).status_code == 200
        assert second.result(60).status_code == 200
    done = client.get("/contradictions", params={"wait": 120}).json()
    assert done["sweep"] == {
        "state": "done",
        "pending_claims": 0,
        "claims": done["sweep"]["claims"],
    }


def test_sweep_is_stored_and_incremental(app_with):
    scorer = GatedScorer()
    client = app_with(scorer, sweep_on_ingest=True)
    assert client.get("/contradictions", params={"wait": 120}).json()["sweep"]["state"] == "done"
    full = scorer.pairs
    assert full > 0
    text = "The minister said the border would reopen on Monday. Officials denied it."
    created = client.post("/articles", json={"text": text}, headers={"X-API-Key": "k"})
    assert created.status_code == 201, created.text
    done = client.get("/contradictions", params={"wait": 120}).json()
    assert done["sweep"]["state"] == "done"
    added = scorer.pairs - full
    # Only pairs with the 2 new claims: at most top_k partners each, both directions.
    assert 0 < added <= 2 * 8 * 2, added


def test_flag_over_its_sentence_budget_is_413_naming_the_limit(app_with):
    client = app_with(GatedScorer(), max_flag_sentences=3)
    answer = client.post(
        "/flag",
        json={
            "text": " ".join(
                f"The minister met {n} officials in the capital on Monday." for n in range(8)
            )
        },
    )
    assert answer.status_code == 413, answer.text
    assert "max_flag_sentences" in answer.json()["detail"][0]["msg"]


# -- limits in the schema -----------------------------------------------------------------


def test_huge_pairs_body_is_refused_fast_and_small(app_with):
    client = app_with(GatedScorer())
    body = json.dumps({"pairs": [{}] * 660_000}, separators=(",", ":")).encode()
    assert len(body) < 2_000_000
    started = time.monotonic()
    answer = client.post("/pairs", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    assert time.monotonic() - started < 5
    assert len(answer.content) < 2_000, len(answer.content)


def test_offset_beyond_sqlite_integers_is_422(app_with):
    client = app_with(GatedScorer())
    for path in ["/articles?offset=9223372036854775808", "/contradictions?offset=99999999999"]:
        answer = client.get(path)
        assert answer.status_code == 422, (path, answer.text)


def test_validation_errors_are_listed_a_few_at_a_time(app_with):
    client = app_with(GatedScorer())
    pairs = [{"premise": 1, "hypothesis": 2}] * 50
    detail = client.post("/pairs", json={"pairs": pairs}).json()["detail"]
    assert len(detail) <= 6 and detail[-1]["type"] == "truncated"


def test_schema_states_the_limits(app_with):
    schema = app_with(GatedScorer()).get("/openapi.json").json()["components"]["schemas"]
    assert schema["PairsRequest"]["properties"]["pairs"]["maxItems"] == 256
