"""Issue 12: invisible-only input is empty input, titles lose control and bidi-override
characters, /metrics names the real route of every request (refused ones and /openapi.json
included), and /docs loads nothing from the internet."""

from __future__ import annotations

import re

import pytest

from service.api.app import create_app
from service.articles import clean_title
from service.settings import Settings
from tests.support import seeded_api

KEY = {"X-API-Key": "k"}


@pytest.fixture(scope="module")
def client(tmp_path_factory, services, embedder):
    with seeded_api(tmp_path_factory, services, embedder, max_body_bytes=10_000) as client:
        yield client


@pytest.mark.parametrize("text", ["\u200b", "\u200b\u200c\u2060\ufeff", " \u00ad\u200d "])
def test_invisible_only_input_is_rejected_like_empty_input(client, text):
    assert client.post("/check", json={"claim": text}).status_code == 422
    assert client.post("/flag", json={"text": text}).status_code == 422
    answer = client.post("/articles", json={"text": text}, headers=KEY)
    assert answer.status_code == 422, answer.text


def test_titles_lose_control_and_bidi_override_characters(client):
    assert clean_title("Tal\x00ks \u202eend\u202c ok\x1b[31m") == "Talks end ok[31m"
    assert clean_title("\u202e\x00") is None
    created = client.post(
        "/articles",
        json={"text": "The port reopened on Tuesday after a week.", "title": "Port\x00 \u202eopen"},
        headers=KEY,
    )
    assert created.status_code in (200, 201), created.text
    assert created.json()["title"] == "Port open"


def _requests_by_route(client) -> dict[tuple[str, str, str], float]:
    text = client.get("/metrics").text
    found = {}
    pattern = (
        r'factcheck_http_requests_total\{method="(\w+)",route="([^"]*)",status="(\d+)"\} (\S+)'
    )
    for method, route, status, value in re.findall(pattern, text):
        found[(method, route, status)] = float(value)
    return found


def test_metrics_label_refused_requests_and_openapi_by_their_route(client):
    client.post("/pairs", content=b"x" * 20_000, headers={"content-type": "application/json"})
    client.post("/check", content=b"\xff\xfe", headers={"content-type": "application/json"})
    client.get("/openapi.json")
    client.get("/no/such/path")
    counts = _requests_by_route(client)
    assert counts.get(("POST", "/pairs", "413")), counts
    assert counts.get(("POST", "/check", "400")), counts
    assert counts.get(("GET", "/openapi.json", "200")), counts
    assert counts.get(("GET", "(no route)", "404")), counts
    assert not any(route == "unmatched" for _m, route, _s in counts)


def test_docs_load_nothing_from_the_internet(client):
    """Swagger UI's page names only local files, and each of them is served."""
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    assert "/openapi.json" in page.text
    # every src= and href= of the page: same-origin paths, each answered with the file
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert {"/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"} <= set(assets)
    for url in assets:
        assert url.startswith("/") and not url.startswith("//"), url
        served = client.get(url)
        assert served.status_code == 200, url
        assert len(served.content) > 1_000, url
    assert "SwaggerUIBundle" in client.get("/docs/assets/swagger-ui-bundle.js").text
    assert "validatorUrl" in page.text  # Swagger UI does not ask validator.swagger.io
    assert client.get("/docs/assets/..%2Fcore.py").status_code == 404
    assert client.get("/docs/assets/redoc.standalone.js").status_code == 404
    assert client.get("/redoc").status_code == 404


def test_unexpected_failure_is_a_json_500_logged_once(client, caplog):
    from service.api.deps import get_checks

    class Broken:
        def list_articles(self, **kwargs):
            raise RuntimeError("boom")

    client.app.dependency_overrides[get_checks] = lambda: Broken()
    try:
        with caplog.at_level("ERROR"):
            answer = client.get("/articles")
    finally:
        client.app.dependency_overrides.pop(get_checks)
    assert answer.status_code == 500
    assert answer.json() == {"detail": "internal server error"}
    failures = [r for r in caplog.records if r.levelname == "ERROR" and "boom" in str(r.exc_info)]
    assert len(failures) == 1, [r.getMessage() for r in caplog.records]
    counts = _requests_by_route(client)
    assert counts.get(("GET", "/articles", "500")), counts


def test_read_keys_are_in_the_document_only_when_reads_need_them(client, embedder, tmp_path):
    assert "security" not in client.get("/openapi.json").json()["paths"]["/check"]["post"]
    settings = Settings(data_dir=tmp_path, seeds_dir=tmp_path, read_requires_key=True)
    app = create_app(settings, embedder=embedder, scorer=lambda pairs: None, use_cache=False)
    paths = app.openapi()["paths"]
    assert paths["/check"]["post"]["security"] == [{"APIKeyHeader": []}]
    assert "security" not in paths["/health"]["get"]
