"""Issue 12: a corrupt store or an unwritable data directory is a one-line error naming the
file (command line) or a JSON 503/507 (API), /health says what is wrong with the store, and
nothing already stored is lost."""

from __future__ import annotations

import os
import shutil
import sqlite3

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.cli import cli
from service.errors import CorpusError, StorageFull
from service.settings import Settings
from service.store.corpus import CorpusStore
from tests.support import SEEDS, build_seeded_template, copy_corpus


@pytest.fixture(scope="module")
def template(tmp_path_factory, services):
    return build_seeded_template(tmp_path_factory.mktemp("seeded"), services)


def test_corrupt_store_is_one_line_naming_the_file(tmp_path):
    path = tmp_path / "corpus.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CorpusError) as error:
        CorpusStore(path, embedder_name="e")
    message = str(error.value)
    assert str(path) in message and "\n" not in message and "backup" in message
    assert path.read_bytes().startswith(b"this is not"), "the file must be left as it was"


def test_cli_on_a_corrupt_store_prints_one_line_and_no_traceback(tmp_path):
    (tmp_path / "corpus.sqlite3").write_bytes(b"garbage" * 1000)
    result = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path), "--no-cache", "ingest", str(SEEDS)], env={}
    )
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "corpus.sqlite3" in lines[0] and "Traceback" not in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_unwritable_data_dir_is_one_line(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(StorageFull) as error:
            CorpusStore(folder / "corpus.sqlite3", embedder_name="e")
        assert "writable" in str(error.value)
    finally:
        folder.chmod(0o700)


def test_full_disk_is_507_and_health_says_so_and_nothing_is_lost(
    tmp_path, template, embedder, monkeypatch
):
    settings = Settings(
        data_dir=copy_corpus(template, tmp_path / "data"),
        seeds_dir=SEEDS,
        api_keys=["k"],
        sweep_on_ingest=False,
    )
    app = create_app(settings, embedder=embedder, scorer=lambda pairs: None, use_cache=False)
    with TestClient(app) as client:
        before = client.get("/articles", params={"limit": 500}).json()
        store = client.app.state.services.store
        real = store._conn

        class FullDisk:
            """A connection whose writes fail as SQLite does on a full disk."""

            def __getattr__(self, name):
                return getattr(real, name)

            def __enter__(self):
                return real.__enter__()

            def __exit__(self, *exc):
                return real.__exit__(*exc)

            def execute(self, sql, *args):
                if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
                    raise sqlite3.OperationalError("database or disk is full")
                return real.execute(sql, *args)

        monkeypatch.setattr(store, "_conn", FullDisk())
        monkeypatch.setattr("shutil.disk_usage", lambda path: shutil._ntuple_diskusage(1, 1, 0))
        answer = client.post(
            "/articles",
            json={"text": "A new article that cannot be stored."},
            headers={"X-API-Key": "k"},
        )
        assert answer.status_code == 507, answer.text
        assert "full" in answer.json()["detail"]
        health = client.get("/health").json()
        assert health["status"] == "degraded" and health["store"] == "disk full"
        monkeypatch.setattr(store, "_conn", real)
        assert client.get("/articles", params={"limit": 500}).json() == before
