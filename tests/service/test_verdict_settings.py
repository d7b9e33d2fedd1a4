"""The verdict rule's thresholds come from Settings: none is a number buried in the code."""

from __future__ import annotations

from service.container import engine_params
from service.settings import Settings
from service.topics import CueCounts


def test_every_verdict_threshold_is_a_setting_and_reaches_the_engine(tmp_path):
    settings = Settings(
        data_dir=tmp_path,
        min_similarity=0.41,
        topic_similarity=0.52,
        topic_common_cue_share=0.3,
        decision_threshold=0.66,
    )
    params = engine_params(settings)
    assert (params.min_similarity, params.topic_similarity) == (0.41, 0.52)
    assert (params.topic_common_cue_share, params.decision_threshold) == (0.3, 0.66)


def test_the_environment_sets_the_common_cue_share(monkeypatch, tmp_path):
    monkeypatch.setenv("FACTCHECK_TOPIC_COMMON_CUE_SHARE", "0.25")
    assert Settings(data_dir=tmp_path).topic_common_cue_share == 0.25


def test_a_cue_is_common_above_its_share_of_the_articles():
    half, quarter = CueCounts(), CueCounts(0.25)
    for counts in (half, quarter):
        counts.add("a1", ["Talks in Geneva on Monday."])
        counts.add("a2", ["Delegates from 12 countries met in Geneva."])
        counts.add("a3", ["The budget passed."])
        counts.add("a4", ["Rain is forecast."])
    assert "geneva" not in half.common()  # 2 of 4 articles: not more than half
    assert "geneva" in quarter.common() and "12" not in quarter.common()
