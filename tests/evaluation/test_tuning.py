"""Tuning the verdict thresholds (evaluation/tuning.py, `factcheck tune-verdicts`): a fixed,
stratified split; a grid that re-aggregates one NLI pass exactly as a check at each floor
would; a report of both halves that changes no setting."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from evaluation.datasets import CLAIMS_PATH, ClaimExample, read_claims
from evaluation.tuning import (
    CheckedCase,
    check_cases,
    grid_search,
    split_cases,
    tune_verdicts,
    verdicts_at,
)
from service.claims import Claim
from service.cli import cli
from service.verdicts import Evidence, Verdict


def case(i: int, verdict: str) -> ClaimExample:
    return ClaimExample(f"c{i:02d}", f"Claim number {i}.", verdict, None, i)


def evidence(similarity: float, entail: float, contra: float) -> Evidence:
    p = {"entailment": entail, "neutral": round(1 - entail - contra, 4), "contradiction": contra}
    return Evidence(Claim("a", 0, "Some sentence.", 0, 14), None, similarity, p, True)


def test_the_split_is_fixed_stratified_and_complete():
    cases = read_claims(CLAIMS_PATH)
    tuning, test = split_cases(cases, 13)
    assert (tuning, test) == split_cases(list(reversed(cases)), 13)  # order does not matter
    assert {c.id for c in tuning}.isdisjoint({c.id for c in test})
    assert len(tuning) + len(test) == len(cases) and abs(len(tuning) - len(test)) <= 1
    for verdict in ("supported", "refuted", "not_enough_info"):
        n_tuning = sum(c.verdict == verdict for c in tuning)
        n_test = sum(c.verdict == verdict for c in test)
        assert abs(n_tuning - n_test) <= 1 and n_tuning and n_test
    assert split_cases(cases, 14) != (tuning, test)


def test_the_grid_finds_the_best_threshold_and_prefers_the_current_one_on_ties():
    checked = [
        CheckedCase(case(1, "supported"), (evidence(0.8, 0.70, 0.05),)),
        CheckedCase(case(2, "not_enough_info"), (evidence(0.8, 0.55, 0.05),)),
        CheckedCase(case(3, "refuted"), (evidence(0.5, 0.05, 0.90),)),
        CheckedCase(case(4, "not_enough_info"), (evidence(0.3, 0.05, 0.95),)),
    ]
    # 0.6 separates 0.70 from 0.55; a floor of 0.4 drops case 4's off-floor evidence.
    assert verdicts_at(checked, 0.6, 0.4) == [
        "supported",
        "not_enough_info",
        "refuted",
        "not_enough_info",
    ]
    ranked = grid_search(checked, [0.5, 0.6, 0.65], [0.25, 0.4, 0.45], current=(0.65, 0.45))
    assert ranked[0].accuracy == 1.0
    # 0.6 and 0.65 both separate them, with floors 0.4 and 0.45: the current point wins.
    assert (ranked[0].decision_threshold, ranked[0].min_similarity) == (0.65, 0.45)
    assert ranked[-1].accuracy < 1.0


def test_the_report_measures_both_halves_and_always_includes_the_current_settings():
    cases = [case(i, v) for i, v in enumerate(["supported", "refuted", "not_enough_info"] * 4)]
    floors_asked = []

    def check(claim: str, floor: float) -> Verdict:
        floors_asked.append(floor)
        i = int(claim.split()[2].rstrip("."))
        if cases[i].verdict == "supported":
            ev = (evidence(0.7, 0.8, 0.1),)
        elif cases[i].verdict == "refuted":
            ev = (evidence(0.7, 0.1, 0.8),)
        else:
            ev = (evidence(0.7, 0.45, 0.1),)
        return Verdict(claim, "not_enough_info", 0.0, ev)

    report = tune_verdicts(
        check,
        cases,
        current_decision_threshold=0.42,
        current_min_similarity=0.33,
        decision_thresholds=[0.4, 0.5],
        min_similarities=[0.3, 0.6],
    )
    assert set(floors_asked) == {0.3} and len(floors_asked) == len(cases)  # one pass
    assert report["grid"]["decision_threshold"] == [0.4, 0.42, 0.5]
    assert report["grid"]["min_similarity"] == [0.3, 0.33, 0.6]
    assert len(report["split"]["tuning"]) == len(report["split"]["test"]) == 6
    best = report["best"]
    assert best["decision_threshold"] == 0.5 and best["min_similarity"] == 0.33
    assert best["tuning"]["accuracy"] == best["test"]["accuracy"] == 1.0
    assert report["current"]["tuning"]["accuracy"] == pytest.approx(2 / 3)
    json.dumps(report)  # JSON-ready


def test_regrading_at_a_floor_is_what_a_check_at_that_floor_answers(services):
    checks = services.checks
    cases = read_claims(CLAIMS_PATH, limit=6)
    checked = check_cases(lambda c, f: checks.check(c, min_similarity=f).verdict, cases, 0.3)
    for threshold, floor in ((0.5, 0.45), (0.5, 0.6), (0.8, 0.3)):
        regraded = verdicts_at(checked, threshold, floor)
        engine, params = services.engine, services.engine.params
        try:
            engine.params = replace(params, decision_threshold=threshold)
            for c, verdict in zip(cases, regraded):
                assert engine.check(c.claim, min_similarity=floor).verdict == verdict, c.id
        finally:
            engine.params = params


def test_the_command_prints_json_for_both_halves(services, tmp_path: Path):
    claims = tmp_path / "claims.jsonl"
    claims.write_text("".join(CLAIMS_PATH.read_text().splitlines(keepends=True)[:8]))
    out = tmp_path / "tuning.json"
    args = ["tune-verdicts", "--claims", str(claims), "--split-seed", "13"]
    args += ["--decision-thresholds", "0.5,0.9", "--min-similarities", "0.45", "--out", str(out)]
    result = CliRunner().invoke(cli, args, obj={"services": services})
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report == json.loads(out.read_text())
    assert report["cases"] == 8 and report["split_seed"] == 13
    assert report["current"]["decision_threshold"] == services.settings.decision_threshold
    for point in ("current", "best"):
        for half in ("tuning", "test"):
            assert 0.0 <= report[point][half]["accuracy"] <= 1.0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--claims", "nope.jsonl"], 1, "nope.jsonl: no such file"),
        (["--threshold-only", "--min-similarities", "0.4"], 2, "exclude each other"),
        (["--decision-thresholds", "half"], 2, "comma-separated numbers"),
    ],
)
def test_bad_arguments(services, args, code, message):
    result = CliRunner().invoke(cli, ["tune-verdicts", *args], obj={"services": services})
    assert result.exit_code == code, result.output
    assert message in result.output
