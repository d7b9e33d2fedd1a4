"""The factcheck commands on the seed corpus with the session's services: the same answers
as the API, through the same service calls."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.cli import cli
from tests.support import require_shipped_nli

EMBASSY_CLAIM = "Russia plans to close its embassy in Kabul."


def invoke(services, *args: str):
    return CliRunner().invoke(cli, list(args), obj={"services": services})


def test_cli_contradictions_json_lists_the_peskov_example_with_its_label(services):
    result = invoke(services, "contradictions", "--label", "any", "--top", "5000", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    joined = [r["premise"]["sentence"] + " || " + r["hypothesis"]["sentence"] for r in rows]
    require_shipped_nli()
    assert any("not been made aware" in j and "baseless" in j for j in joined)
    for r in rows:
        assert set(r["probabilities"]) == {"entailment", "neutral", "contradiction"}


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        (EMBASSY_CLAIM, "refuted"),
        ("The Eiffel Tower was repainted in bright green.", "not_enough_info"),
    ],
)
def test_cli_check_json(services, claim, expected):
    result = invoke(services, "check", claim, "--json")
    assert result.exit_code == 0, result.output
    require_shipped_nli()
    assert json.loads(result.output)["verdict"] == expected


def test_cli_check_and_post_check_give_the_same_answer(services, tmp_path):
    """`factcheck check --json` and `POST /check` are one code path: same verdict,
    confidence and evidence for the same claim on the same seed corpus."""
    settings = services.settings.model_copy(update={"data_dir": tmp_path})
    # No cache on either side: both answers are computed, neither is read back from the other.
    with services.sharing_models(settings, use_cache=False) as shared:
        cli_result = invoke(
            shared, "check", "  Russia plans to close\nits embassy in Kabul. ", "--json"
        )
        assert cli_result.exit_code == 0, cli_result.output
        from_cli = json.loads(cli_result.output)
        app = create_app(settings, embedder=shared.embedder, nli=shared.nli, use_cache=False)
        with TestClient(app) as client:
            response = client.post("/check", json={"claim": EMBASSY_CLAIM})
        assert response.status_code == 200, response.text
        from_api = response.json()
    assert from_cli["claim"] == from_api["claim"] == EMBASSY_CLAIM
    for field in ("verdict", "confidence", "evidence", "corpus_version", "model"):
        assert from_cli[field] == from_api[field], field
    assert from_cli["evidence"], "the seed corpus has evidence for this claim"


def test_cli_pair_json_matches_the_model(services, nli_model):
    premise, hypothesis = "The talks were cancelled.", "The talks went ahead as planned."
    result = invoke(services, "pair", premise, hypothesis, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    expected = nli_model.predict_pairs([(premise, hypothesis)])[0]
    got = [body["probabilities"][k] for k in ("entailment", "neutral", "contradiction")]
    assert got == pytest.approx(expected.tolist(), abs=1e-5)
    assert body["label"] == max(body["probabilities"], key=body["probabilities"].get)
