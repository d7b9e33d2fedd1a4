"""Services (service/container.py), the composition root: lazy, shared between sets of
services when asked, closed in one call."""

from __future__ import annotations

import pytest

from service.container import Services
from service.errors import ModelUnavailable
from service.settings import Settings


def test_building_touches_nothing_until_a_part_is_asked_for(tmp_path):
    data_dir = tmp_path / "data"
    with Services.build(Settings(data_dir=data_dir)) as services:
        assert services.settings.data_dir == data_dir
    assert not data_dir.exists(), "building and closing services created files"


def test_sharing_models_loads_them_once(services, tmp_path):
    with services.sharing_models(Settings(data_dir=tmp_path), use_cache=False) as other:
        assert other.nli is services.nli and other.embedder is services.embedder
        assert other.model == services.model
        assert other.store is not services.store
        assert other.store.path == tmp_path / "corpus.sqlite3"


def test_a_missing_checkpoint_is_a_domain_error(tmp_path):
    settings = Settings(data_dir=tmp_path, nli_model=str(tmp_path / "no-such-checkpoint"))
    with Services.build(settings) as services, pytest.raises(ModelUnavailable) as caught:
        services.nli  # noqa: B018
    assert str(caught.value).startswith(f"cannot load NLI model {tmp_path / 'no-such-checkpoint'}")


def test_closed_services_refuse_to_build(tmp_path):
    services = Services.build(Settings(data_dir=tmp_path))
    services.close()
    services.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        services.store  # noqa: B018
