"""Errors with an HTTP status, and the request body size limit (an ASGI middleware)."""

from __future__ import annotations

import json
from typing import Any


class ApiError(Exception):
    """An error with an HTTP status, returned as ``{"error": ..., "status": ...}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class BodyLimit:
    """ASGI middleware: refuse bodies over ``max_bytes`` (Content-Length or streamed) with 413."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    size = int(value)
                except ValueError:
                    await send_json(send, 400, "Content-Length is not a number")
                    return
                if size > limit:
                    await send_json(
                        send,
                        413,
                        f"request body of {size:,} bytes is over the limit of {limit:,} bytes",
                    )
                    return
        seen = 0
        exceeded = False
        started = False

        async def limited_receive() -> dict:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise ApiError(413, "request body is over the limit")
            return message

        async def guarded_send(message: dict) -> None:
            nonlocal started
            if exceeded:  # whatever the app made of the cut-off body, the answer is 413
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await send_json(send, 413, f"request body is over the limit of {limit:,} bytes")
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except ApiError:
            if not started:
                await send_json(send, 413, f"request body is over the limit of {limit:,} bytes")


async def send_json(send: Any, status: int, message: str) -> None:
    body = json.dumps({"error": message, "status": status}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
