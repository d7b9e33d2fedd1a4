"""GET /docs: Swagger UI from local files only, never from a CDN (a page that loads scripts
from the internet is blank offline and leaks who reads the docs).

The files are Swagger UI 5's, shipped by the ``fastapi-offline`` package (a dependency;
MIT). Only its static files are used, served under ``/docs/assets/``; the page is FastAPI's
own. ReDoc stays off: one interactive page is enough.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

router = APIRouter(include_in_schema=False)

#: The only files /docs/assets/ serves: what the page loads.
ASSETS = {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"}


def swagger_assets_dir() -> Path:
    """The folder of Swagger UI's files inside the installed ``fastapi-offline`` package."""
    return Path(str(files("fastapi_offline") / "static"))


@router.get("/docs")
def docs() -> HTMLResponse:
    """Swagger UI over /openapi.json."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="factcheck API",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon.png",
        # Swagger UI would otherwise ask validator.swagger.io about the document.
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/docs/assets/{name}")
def docs_asset(name: str) -> FileResponse:
    path = swagger_assets_dir() / name
    if name not in ASSETS or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="not found")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})
