"""Issue 12, end to end: a real ``factcheck serve`` on loopback with the embedded Redis,
with one worker and with two. kill -9 of the API (and its workers) and a new start leave
exactly one redis-server for the data directory and the cached answers in it; killing that
redis-server while /health is polled every second brings caching back within 10 s; and
stopping the server leaves no redis-server behind. The steps are those of
``python -m tests.load.loadcheck --faults`` (the same function runs them)."""

from __future__ import annotations

import json

import pytest

from tests.load.loadcheck import faults


@pytest.mark.parametrize("workers", [1, 2])
def test_redis_survives_api_and_redis_kills(workers):
    report = faults(workers)
    shown = json.dumps(report, indent=2)
    assert report["redis_servers_after_api_kill"] == 1, shown
    assert report["cached_answer_kept"] == "hit", shown
    back = report["cache_back_after_redis_kill_s"]
    assert back is not None and back <= 10, shown
    assert report["caching_after_redis_kill"] == "hit", shown
    assert report["redis_servers_at_end"] == 1, shown
    assert report["redis_servers_after_stop"] == 0, shown
