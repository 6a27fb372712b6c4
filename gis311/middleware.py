"""ASGI middleware: the request body cap."""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gis311.errors import PROBLEM_JSON, RequestBodyTooLarge


class BodyLimitMiddleware:
    """Refuse request bodies larger than ``max_bytes`` with 413 problem+json.

    A declared ``Content-Length`` over the cap is refused before the body is read; a chunked
    body is counted as it arrives and refused as soon as it passes the cap, so a client can never
    make the server buffer more than the cap.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Paths that take bigger bodies (a photo with an Open311 report) and their caps.
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = max(self.max_bytes, self.larger.get(scope.get("path", ""), 0))
        body_expected = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > max_bytes:
                    await self._refuse(scope, send, max_bytes)
                    return
                body_expected = declared != 0
            elif name == b"transfer-encoding":
                body_expected = True
        if not body_expected:
            # No body announced (a GET, a tile): HTTP/1.1 then has none to read, so nothing to
            # count and no wrappers in the way of the answer.
            await self.app(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise RequestBodyTooLarge(max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except RequestBodyTooLarge:
            if started:
                raise
            await self._refuse(scope, send, max_bytes)

    async def _refuse(self, scope: Scope, send: Send, max_bytes: int) -> None:
        body = json.dumps({
            "type": "about:blank",
            "title": "Content Too Large",
            "status": 413,
            "detail": f"request body exceeds the limit of {max_bytes} bytes",
            "instance": scope.get("path", ""),
        }).encode()
        await send({
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        })
        await send({"type": "http.response.body", "body": body})
