"""Issue 12: per-request budgets, each a clear error naming its limit. Texts are measured
in the NLI model's own tokens: a claim longer than ``max_claim_tokens`` is refused (422),
a pair longer than the model reads is refused, and a long sentence of a /flag draft or a
long /verify window is read in pieces that fit, so the model never silently cuts a text.
/verify's document is bounded in windows (413, ``max_verify_windows``)."""

from __future__ import annotations

import functools
import threading

import numpy as np
import pytest

from models.nli import default_nli_path
from service.tokens import TokenBudget

#: The tokenizer the service measures with; the shipped model reads 256 tokens a pair.
TOKENS = TokenBudget(default_nli_path(), pair_tokens=256)


class RecordingScorer:
    """A fake NLI model (everything neutral) that keeps every pair it was asked to score."""

    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, pairs, **kwargs):
        with self._lock:
            self.pairs.extend(pairs)
        out = np.zeros((len(pairs), 3), np.float32)
        out[:, 1] = 1.0
        return out


@pytest.fixture
def app_with(app_with):
    """The shared fixture (tests/service/conftest.py) with no sweep: the recording scorer
    sees only the pairs the request under test scores."""
    return functools.partial(app_with, sweep_on_ingest=False)


def words(n: int) -> str:
    """``n`` words of one token each, no sentence end: one long sentence."""
    return " ".join(["talks"] * n)


def test_words_are_one_token_each():
    assert TOKENS.count(words(140)) == 140


def test_a_claim_over_its_token_budget_is_422_naming_the_limit(app_with):
    scorer = RecordingScorer()
    client = app_with(scorer)
    long_claim = "Officials said " + words(140)
    assert len(long_claim) < 2_000  # within the character limit: only tokens refuse it
    for path, body in [
        ("/check", {"claim": long_claim}),
        ("/verify", {"claim": long_claim, "document": "The talks went ahead."}),
    ]:
        answer = client.post(path, json=body)
        assert answer.status_code == 422, (path, answer.text)
        error = answer.json()["detail"][0]
        assert error["loc"] == ["body", "claim"] and error["type"] == "token_limit", error
        assert "max_claim_tokens" in error["msg"] and "128 tokens" in error["msg"], error
    assert scorer.pairs == [], "a refused claim reached the model"
    fits = "Officials said " + words(126)
    assert TOKENS.count(fits) == 128
    assert client.post("/check", json={"claim": fits}).status_code == 200


def test_a_pair_longer_than_the_model_reads_is_422_naming_the_pair(app_with):
    client = app_with(RecordingScorer())
    short = {"premise": "The talks were cancelled.", "hypothesis": "The talks went ahead."}
    too_long = {"premise": words(200), "hypothesis": words(60)}  # 263 tokens with 3 special
    answer = client.post("/pairs", json={"pairs": [short, too_long]})
    assert answer.status_code == 422, answer.text
    error = answer.json()["detail"][0]
    assert error["loc"] == ["body", "pairs", 1] and error["type"] == "token_limit", error
    assert "256 tokens a pair" in error["msg"], error
    fits = {"premise": words(200), "hypothesis": words(53)}  # 256 exactly
    assert client.post("/pairs", json={"pairs": [fits]}).status_code == 200


def test_a_long_sentence_of_a_draft_is_checked_in_pieces_that_fit(app_with):
    scorer = RecordingScorer()
    # every neighbour is evidence, so every piece reaches the model
    client = app_with(scorer, max_flag_sentences=20, min_similarity=-1.0)
    sentence = "Russia said its embassy in Kabul " + words(300) + " would stay open."
    draft = f"The minister arrived on Monday. {sentence}"
    answer = client.post("/flag", json={"text": draft})
    assert answer.status_code == 200, answer.text
    hypotheses = {h for _p, h in scorer.pairs}
    assert hypotheses, "nothing was scored"
    assert max(TOKENS.count(h) for h in hypotheses) <= 128
    pieces = sorted((h for h in hypotheses if "talks" in h), key=sentence.find)
    assert len(pieces) >= 3
    # the pieces are the sentence, every word of it, in order
    assert " ".join(pieces).split() == sentence.split()


def test_flag_pieces_count_against_the_sentence_budget(app_with):
    client = app_with(RecordingScorer(), max_flag_sentences=2)
    answer = client.post("/flag", json={"text": "Officials said " + words(400) + "."})
    assert answer.status_code == 413, answer.text
    assert "max_flag_sentences" in answer.json()["detail"][0]["msg"]


def test_verify_reads_a_window_too_long_for_the_model_in_pieces_that_fit(app_with):
    scorer = RecordingScorer()
    client = app_with(scorer)
    claim = "The talks in Doha went ahead as planned."
    document = "Talks in Doha. " + words(600) + " in Doha.\nThe talks went ahead."
    answer = client.post("/verify", json={"claim": claim, "document": document})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["windows"] >= 4
    assert max(TOKENS.count(p) + TOKENS.count(h) + 3 for p, h in scorer.pairs) <= 256
    for window in [body["window"], *body["top_entailment"], *body["top_contradiction"]]:
        assert document[window["start"] : window["end"]] == window["text"]


def test_verify_over_its_window_budget_is_413_naming_the_limit(app_with):
    scorer = RecordingScorer()
    client = app_with(scorer, max_verify_windows=5)
    document = "\n".join(f"The minister met {n} officials on Monday." for n in range(4))
    body = {"claim": "The minister met officials.", "document": document}
    assert client.post("/verify", json=body).status_code == 200  # 4 windows
    answer = client.post("/verify", json={**body, "window_sentences": 2})  # 4 + 3 windows
    assert answer.status_code == 413, answer.text
    error = answer.json()["detail"][0]
    assert error["loc"] == ["body", "document"] and error["type"] == "too_large", error
    assert "max_verify_windows" in error["msg"] and "7 windows" in error["msg"], error
