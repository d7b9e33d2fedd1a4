"""Every setting is documented, and environment variables reach it."""

from __future__ import annotations

from service.settings import Settings


def test_every_setting_has_a_description():
    missing = [name for name, f in Settings.model_fields.items() if not f.description]
    assert not missing, f"settings without a description: {missing}"


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("FACTCHECK_TOP_K", "3")
    monkeypatch.setenv("FACTCHECK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("REDIS_URL", "redis://example:6379/0")
    settings = Settings()
    assert settings.top_k == 3
    assert settings.data_dir == tmp_path
    assert settings.redis_url == "redis://example:6379/0"


def test_every_setting_is_in_the_configuration_docs():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    missing = [n for n in Settings.model_fields if f"`FACTCHECK_{n.upper()}`" not in docs]
    assert not missing, f"settings missing from docs/configuration.md: {missing}"
