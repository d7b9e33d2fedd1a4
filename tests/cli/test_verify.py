"""`factcheck verify --document FILE "CLAIM"`: the answer of POST /verify, and one-line
errors (exit 1) for an empty claim and an empty, oversized, binary, non-UTF-8 or missing
document."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from service.cli import cli
from tests.documents import LONG_ARTICLE, LONG_ARTICLE_SENTENCES
from tests.support import SEEDS

SEED_003 = next(SEEDS.glob("003_*.txt"))


def invoke(services, *args: str, stdin: bytes | None = None):
    return CliRunner().invoke(cli, list(args), obj={"services": services}, input=stdin)


def test_verify_json_on_a_seed_article(services):
    claim = "Moscow and New Delhi joined hands to firewall Central Asian countries."
    result = invoke(services, "verify", "--document", str(SEED_003), claim, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["verdict"] == "supported"
    text = SEED_003.read_text(encoding="utf-8")
    window = body["window"]
    assert text[window["start"] : window["end"]] == window["text"]
    assert window["text"].startswith("Earlier this week, Moscow and New Delhi joined hands")


def test_verify_reads_a_long_article_from_stdin_and_prints_the_windows(services):
    claim = "The old library building will not be sold."
    result = invoke(services, "verify", "-d", "-", claim, stdin=LONG_ARTICLE.encode())
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("refuted") and f"{LONG_ARTICLE_SENTENCES} windows" in lines[0]
    start = LONG_ARTICLE.index("The old library building will be sold.")
    assert f"[{start}:{start + 38}]  The old library building will be sold." in lines[1]
    assert "most entailing:" in lines and "most contradicting:" in lines


@pytest.mark.parametrize(
    ("content", "claim", "message"),
    [
        (b"The bridge reopened on Monday.", "  ", "Error: claim is empty"),
        (b"The bridge reopened on Monday.", "\u200b\u200b", "only invisible characters"),
        (b"The bridge reopened on Monday.", "x" * 1_001, "claim is 1,001 characters long"),
        (b"", "A claim.", "is empty"),
        (b"  \n\n  ", "A claim.", "is empty"),
        (b"x" * 200_001, "A claim.", "is 200,001 characters long; the limit is 200,000"),
        (b"x" * 800_001, "A claim.", "is 800,001 bytes; the limit is 200,000 characters"),
        (b"PK\x03\x04\x00\x00binary", "A claim.", "looks like a binary file"),
        (b"caf\xe9 au lait", "A claim.", "is not UTF-8 text"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(services, tmp_path, content, claim, message):
    document = tmp_path / "doc.txt"
    document.write_bytes(content)
    result = invoke(services, "verify", "--document", str(document), claim)
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1 and result.output.startswith("Error: ")
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_missing_document_is_one_line(services, tmp_path):
    result = invoke(services, "verify", "--document", str(tmp_path / "nope.txt"), "A claim.")
    assert result.exit_code == 1
    assert result.output == f"Error: {tmp_path / 'nope.txt'}: no such file\n"


def test_a_folder_is_not_a_document(services, tmp_path):
    result = invoke(services, "verify", "--document", str(tmp_path), "A claim.")
    assert result.exit_code == 1 and "is a directory" in result.output


def test_the_document_option_is_required(services):
    result = invoke(services, "verify", "A claim.")
    assert result.exit_code == 2 and "--document" in result.output
