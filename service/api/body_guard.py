"""BodyGuard: the ASGI middleware that refuses oversized and non-UTF-8 request bodies before
anything parses them."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send


class BodyGuard:
    """Refuses request bodies over ``max_body_bytes`` (413) before anything parses them,
    from Content-Length when given, else while they stream in; and bodies that are not
    UTF-8 (400). Passes the checked body on to the app."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await self._read_body(scope, receive)
        if body is None:  # the client went away
            return
        if isinstance(body, JSONResponse):
            await body(scope, receive, send)
            return
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | JSONResponse | None:
        """The whole body, or the error response to send instead (``None``: client gone)."""
        too_large = f"request body over the {self.max_body_bytes:,}-byte limit"
        length = Headers(scope=scope).get("content-length")
        if length is not None and not length.isdigit():
            return JSONResponse({"detail": "invalid Content-Length"}, status_code=400)
        if length is not None and int(length) > self.max_body_bytes:
            return JSONResponse({"detail": too_large}, status_code=413)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return JSONResponse({"detail": too_large}, status_code=413)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            error = {
                "loc": ["body"],
                "msg": f"request body is not UTF-8 (invalid byte at offset {exc.start})",
                "type": "unicode_decode_error",
            }
            return JSONResponse({"detail": [error]}, status_code=400)
        return body
