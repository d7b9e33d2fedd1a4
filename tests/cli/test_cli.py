"""The factcheck CLI at its boundary: exit codes and one-line errors on bad input."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from service.cli import cli


@pytest.fixture
def run(services):
    """``factcheck ARGS`` in-process, with the session's models (``--data-dir`` still gives
    each test its own corpus)."""

    def invoke(*args: str, input: bytes | str | None = None):
        return CliRunner().invoke(cli, list(args), input=input, obj={"services": services})

    return invoke


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: "), result.output
    for fragment in fragments:
        assert fragment in lines[0], result.output


@pytest.mark.parametrize(
    "command",
    ["ingest", "contradictions", "check", "pair", "serve", "evaluate", "bench", "train-nli"],
)
def test_every_command_has_help(run, command):
    result = run(command, "--help")
    assert result.exit_code == 0, result.output
    assert "usage:" in result.output.lower()


def test_empty_claim_is_refused(run, tmp_path, seeds_dir):
    result = run("--data-dir", str(tmp_path), "check", "   ")
    assert_one_line_error(result, "claim is empty")


def test_overlong_claim_is_refused(run, tmp_path):
    result = run("--data-dir", str(tmp_path), "check", "word " * 1000)
    assert_one_line_error(result, "claim is 5,000 characters long")


def test_missing_file(run, tmp_path):
    result = run("--data-dir", str(tmp_path), "ingest", str(tmp_path / "nope.txt"))
    assert_one_line_error(result, "nope.txt", "no such file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(run, tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("Some article text that nobody may read.")
    path.chmod(0)
    result = run("--data-dir", str(tmp_path / "d"), "ingest", str(path))
    assert_one_line_error(result, "secret.txt", "cannot be read")


def test_article_that_is_not_a_file(run, tmp_path):
    folder = tmp_path / "articles"
    (folder / "odd.txt").mkdir(parents=True)
    result = run("--data-dir", str(tmp_path / "d"), "ingest", str(folder))
    assert_one_line_error(result, "odd.txt", "is a directory")


def test_binary_file(run, tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    result = run("--data-dir", str(tmp_path / "d"), "ingest", str(path))
    assert_one_line_error(result, "image.txt", "binary")


def test_non_utf8_file(run, tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Le président a démenti les accusations.".encode("latin-1"))
    result = run("--data-dir", str(tmp_path / "d"), "ingest", str(path))
    assert_one_line_error(result, "latin1.txt", "not UTF-8")


def test_five_megabyte_file(run, tmp_path):
    path = tmp_path / "huge.txt"
    path.write_text("The minister said the talks would go on. " * 125_000)
    result = run("--data-dir", str(tmp_path / "d"), "ingest", str(path))
    assert_one_line_error(result, "huge.txt", "limit")


def test_empty_stdin(run, tmp_path):
    result = run("--data-dir", str(tmp_path / "d"), "ingest", "-", input=b"  \n")
    assert_one_line_error(result, "stdin", "empty")


def test_ingest_is_idempotent(run, tmp_path, seeds_dir):
    article = seeds_dir / "004_49b53d49fc7547ca.txt"
    first = run("--data-dir", str(tmp_path), "ingest", "--json", str(article))
    assert first.exit_code == 0, first.output
    second = run("--data-dir", str(tmp_path), "ingest", "--json", str(article))
    assert second.exit_code == 0, second.output
    a, b = json.loads(first.output)[0], json.loads(second.output)[0]
    assert a["article_id"] == b["article_id"]
    assert a["added"] is True and a["claims"] > 5
    assert b["added"] is False
