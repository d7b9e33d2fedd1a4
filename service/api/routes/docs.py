"""GET /docs: Swagger UI from local files only, never from a CDN (a page that loads scripts
from the internet is blank offline and leaks who reads the docs).

The assets come from the ``swagger-ui-bundle`` package when it is installed (it ships
Swagger UI's files). It is not a dependency of the project yet, so without it ``/docs`` is
a short local page that says so and links the OpenAPI document (``/openapi.json``), which
is always served. ReDoc is off: it has no offline build in any installed package.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

router = APIRouter(include_in_schema=False)

_ASSETS = {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}

NO_ASSETS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>factcheck API</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto">
<h1>factcheck API</h1>
<p>The interactive documentation (Swagger UI) is served from local files only, and this
installation has none: install the <code>swagger-ui-bundle</code> package to get it.</p>
<p>The API is described by its OpenAPI document: <a href="/openapi.json">/openapi.json</a>.</p>
</body></html>
"""


def swagger_assets_dir() -> Path | None:
    """Where an installed package keeps Swagger UI's files, or ``None``."""
    try:
        bundle = importlib.import_module("swagger_ui_bundle")
    except ImportError:
        return None
    path = Path(getattr(bundle, "swagger_ui_path", "") or "")
    return path if (path / "swagger-ui-bundle.js").is_file() else None


@router.get("/docs")
def docs() -> HTMLResponse:
    """Swagger UI over /openapi.json, or a note saying how to get it."""
    if swagger_assets_dir() is None:
        return HTMLResponse(NO_ASSETS_PAGE)
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="factcheck API",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon-32x32.png",
    )


@router.get("/docs/assets/{name}")
def docs_asset(name: str) -> FileResponse:
    folder = swagger_assets_dir()
    if folder is None or name not in _ASSETS or not (folder / name).is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="not found")
    return FileResponse(folder / name)
