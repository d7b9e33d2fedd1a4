"""GET /: the desk page, and GET /desk/{name}: its scripts, styles and icon.

Everything the page needs is served from ``service/api/desk/`` (package data), so the desk
works with no network but the service: no CDN, no web font, and a Content-Security-Policy
that lets the page load and call nothing but this origin. The page itself only reads the
API (``/flag``, ``/check``, ``/contradictions``, ``/articles``) from the browser; it is
open like ``/docs`` (a service that needs a key for reads gets it from the page's key field).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response, status

router = APIRouter(tags=["desk"], include_in_schema=False)

DESK_DIR = Path(__file__).resolve().parent.parent / "desk"

_MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}

#: The desk may load and call its own origin only (frame-ancestors: no framing elsewhere).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _asset(request: Request, path: Path) -> Response:
    try:
        body = path.read_bytes()
    except OSError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="not found") from None
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if path.suffix == ".html":
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(body, media_type=_MEDIA_TYPES[path.suffix], headers=headers)


@router.get("/")
def desk_page(request: Request) -> Response:
    """The desk: check a draft or a claim, browse the corpus contradictions and articles."""
    return _asset(request, DESK_DIR / "index.html")


@router.get("/desk/{name}")
def desk_asset(name: str, request: Request) -> Response:
    """One of the desk's files (a plain name from the desk folder, nothing else)."""
    path = DESK_DIR / name
    if "/" in name or "\\" in name or name.startswith(".") or path.suffix not in _MEDIA_TYPES:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="not found")
    return _asset(request, path)
