"""The plugin's and the desk's files, without a browser: the desk serves the plugin's own
shared files, the manifest names files that exist, the desk router serves its folder and nothing
else, and nothing in either points at another host."""

from __future__ import annotations

import json
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.api.routes import desk
from tests.plugin.harness import PLUGIN_DIR

DESK_DIR = desk.DESK_DIR

#: plugin file -> its name in the desk folder (a link to the plugin's file: one copy to edit)
SHARED = {
    "shared/client.js": "client.js",
    "shared/ui.js": "ui.js",
    "shared/ui.css": "ui.css",
    "icons/icon-48.png": "icon.png",
}


@pytest.mark.parametrize("plugin_file", sorted(SHARED))
def test_the_desk_uses_the_plugins_own_files(plugin_file):
    """One copy in the tree: the desk folder links to the plugin's file (a wheel or the
    Docker image gets the file's bytes), so the two cannot drift apart."""
    linked = DESK_DIR / SHARED[plugin_file]
    assert linked.resolve() == (PLUGIN_DIR / plugin_file).resolve()


def test_the_manifest_names_files_that_exist():
    manifest = json.loads((PLUGIN_DIR / "manifest.json").read_text(encoding="utf-8"))
    named = [
        manifest["background"]["service_worker"],
        *manifest["background"]["scripts"],
        manifest["options_ui"]["page"],
        *manifest["icons"].values(),
        *manifest["action"]["default_icon"].values(),
    ]
    for name in named:
        assert (PLUGIN_DIR / name).is_file(), name
    background = (PLUGIN_DIR / "background.js").read_text(encoding="utf-8")
    for name in re.findall(r'"((?:shared/)?[\w-]+\.(?:js|css))"', background):
        assert (PLUGIN_DIR / name).is_file(), f"background.js injects {name}, which is missing"


URL = re.compile(r"""https?://[A-Za-z0-9*\[][^\s"'`)<>]*""")
LOOPBACK = re.compile(r"https?://(127\.0\.0\.1|localhost)[:/]")
#: the optional host permissions of the manifest (match patterns, not addresses)
ALLOWED = ("http://*/*", "https://*/*")


@pytest.mark.parametrize(
    "path",
    sorted(
        [p for p in PLUGIN_DIR.rglob("*") if p.suffix in {".js", ".html", ".css", ".json"}]
        + [p for p in DESK_DIR.iterdir() if p.suffix in {".js", ".html", ".css"}]
    ),
    ids=lambda p: str(p.relative_to(PLUGIN_DIR.parent)),
)
def test_no_file_points_at_another_host(path):
    text = path.read_text(encoding="utf-8")
    foreign = [u for u in URL.findall(text) if not LOOPBACK.match(u) and not u.startswith(ALLOWED)]
    assert not foreign, f"{path} names other hosts: {foreign}"


@pytest.fixture(scope="module")
def client():
    app = FastAPI()
    app.include_router(desk.router)
    return TestClient(app)


def test_desk_page_served_at_the_root_with_a_same_origin_policy(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert "script-src 'self'" in policy and "unsafe" not in policy
    for asset in re.findall(r'(?:src|href)="(/desk/[^"]+)"', response.text):
        assert client.get(asset).status_code == 200, asset


@pytest.mark.parametrize(
    "name, media_type",
    [
        ("desk.js", "text/javascript"),
        ("client.js", "text/javascript"),
        ("ui.js", "text/javascript"),
        ("desk.css", "text/css"),
        ("ui.css", "text/css"),
        ("icon.png", "image/png"),
    ],
)
def test_desk_assets_served_with_their_types(client, name, media_type):
    response = client.get(f"/desk/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content == (DESK_DIR / name).read_bytes()
    again = client.get(f"/desk/{name}", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path", ["/desk/nothing.js", "/desk/..%2Fapp.py", "/desk/.hidden.js", "/desk/desk.py"]
)
def test_desk_serves_its_own_files_only(client, path):
    assert client.get(path).status_code == 404
