"""Issue 12: the OpenAPI document declares the errors each route can give, as the server
gives them: 400 and 413 on every operation (the body guard answers before any route), 413
naming the budget on /flag and /verify, 503 with Retry-After where the NLI model scores,
507 and 503 where the corpus is written. (The 503 and 507 answers themselves are tested in
test_load_safety.py and test_store_failures.py.)"""

from __future__ import annotations

import pytest

from service.api.schemas import ErrorResponse
from tests.support import seeded_api

LIMIT_BYTES = 10_000


@pytest.fixture(scope="module")
def client(tmp_path_factory, services, embedder):
    with seeded_api(tmp_path_factory, services, embedder, max_body_bytes=LIMIT_BYTES) as client:
        yield client


@pytest.fixture(scope="module")
def operations(client) -> list[tuple[str, str, dict]]:
    paths = client.get("/openapi.json").json()["paths"]
    found = [(m.upper(), p, op) for p, ops in paths.items() for m, op in ops.items()]
    assert len(found) >= 10
    return found


def _url(path: str) -> str:
    return path.replace("{article_id}", "0123456789abcdef")


def test_every_operation_declares_the_body_guards_answers_and_gets_them(client, operations):
    for method, path, operation in operations:
        declared = operation["responses"]
        assert {"400", "413"} <= set(declared), (method, path, sorted(declared))
        headers = {"X-API-Key": "k", "content-type": "application/json"}
        too_large = client.request(
            method, _url(path), content=b"x" * (LIMIT_BYTES + 1), headers=headers
        )
        not_utf8 = client.request(method, _url(path), content=b'{"a": "\xff"}', headers=headers)
        for answer, status in [(too_large, 413), (not_utf8, 400)]:
            assert answer.status_code == status, (method, path, answer.status_code)
            ErrorResponse.model_validate(answer.json())


def test_budgets_scoring_and_storage_errors_are_declared_where_they_happen(operations):
    declared = {(method, path): set(op["responses"]) for method, path, op in operations}
    responses = {(method, path): op["responses"] for method, path, op in operations}
    for scoring in ["/check", "/flag", "/verify", "/pairs"]:
        assert {"422", "503"} <= declared[("POST", scoring)], scoring
        retry = responses[("POST", scoring)]["503"]["headers"]["Retry-After"]
        assert retry["schema"]["type"] == "integer"
    for budget, setting in [("/flag", "max_flag_sentences"), ("/verify", "max_verify_windows")]:
        assert setting in responses[("POST", budget)]["413"]["description"]
    assert "token_limit" in responses[("POST", "/check")]["422"]["description"]
    for write in [("POST", "/articles"), ("DELETE", "/articles/{article_id}")]:
        assert {"503", "507"} <= declared[write], write
    # reads that neither score nor write declare neither
    for read in [("GET", "/health"), ("GET", "/articles"), ("GET", "/contradictions")]:
        assert not {"503", "507"} & declared[read], read
