"""Fixtures of the real-browser tests: one ``factcheck serve`` on the seed corpus for the
whole run, a static server for the test pages, and the folder the screenshots go to.

Screenshots go to ``$FACTCHECK_SCREENSHOT_DIR`` when it is set (``docs/screenshots`` to
refresh the committed ones), else to a temporary folder named at the end of the run.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

from tests.plugin.harness import PAGES_DIR, Server, find_browser, free_port

_SCREENSHOTS: list[Path] = []


@pytest.fixture(scope="session")
def factcheck_server(tmp_path_factory) -> Server:
    """A real ``factcheck serve`` over the seed corpus in a temporary data directory."""
    find_browser()  # no browser: fail now, before starting the server
    root = tmp_path_factory.mktemp("plugin-service")
    server = Server(root / "data", root / "serve.log").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pages_url() -> str:
    """Base URL of the test pages (tests/plugin/pages), served on their own loopback port."""
    handler = functools.partial(_QuietHandler, directory=str(PAGES_DIR))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    configured = os.environ.get("FACTCHECK_SCREENSHOT_DIR")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("plugin-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    _SCREENSHOTS.append(folder)
    return folder


def pytest_terminal_summary(terminalreporter) -> None:
    for folder in _SCREENSHOTS:
        shots = sorted(p.name for p in folder.glob("*.png"))
        if shots:
            terminalreporter.write_line(
                f"plugin and desk screenshots ({len(shots)}): {folder}", bold=True
            )
