"""Who may talk to the service: a Host allow-list and no cross-site requests (an ASGI middleware).

A web page on another site can make a browser send requests to a service on this machine: by
DNS rebinding (its own name, resolved to 127.0.0.1: the ``Host`` header still names it) or by a
cross-site form post (no preflight; the browser sends ``Origin`` and ``Sec-Fetch-Site``). So
the service answers only requests whose ``Host`` is allowed (421 otherwise), and refuses with
403 a request whose ``Origin`` is not an allowed host, or a cross-site one that changes state.

>>> host_of("127.0.0.1:8000"), host_of("[::1]:80"), host_of("LocalHost."), host_of("a b")
('127.0.0.1', '::1', 'localhost', None)
>>> host_allowed("api.localhost", DEFAULT_HOSTS), host_allowed("evil.example", DEFAULT_HOSTS)
(True, False)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from foveal.serve.limits import send_json

DEFAULT_HOSTS: tuple[str, ...] = ("localhost", "*.localhost", "127.0.0.1", "::1")
"""The names a service answers to unless ``--allow-host`` adds more: this machine's."""

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_NAME = re.compile(r"^[a-z0-9_.-]+$|^[0-9a-f:.]+$")


def host_of(value: str | None) -> str | None:
    """The host name of a ``Host`` header value (lower case, no port, no brackets, no trailing
    dot); ``None`` for a malformed one."""
    if not value:
        return None
    value = value.strip().lower()
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        if not sep or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return None
    else:
        host, sep, port = value.rpartition(":")
        if not sep:
            host = value
        elif not port.isdigit() or ":" in host:
            return None
    host = host.rstrip(".")
    return host if host and _NAME.match(host) else None


def host_allowed(host: str | None, allowed: Sequence[str]) -> bool:
    """Whether ``host`` matches one of ``allowed`` (names, ``*.suffix`` or ``*`` for any)."""
    if host is None:
        return False
    for pattern in allowed:
        pattern = pattern.strip().lower().rstrip(".").strip("[]")
        if pattern == "*" or pattern == host:
            return True
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
    return False


def origin_host(origin: str) -> str | None:
    """The host of an ``Origin`` header (``None`` for ``null`` or a malformed one)."""
    try:
        parts = urlsplit(origin.strip())
        return host_of(parts.netloc) if parts.scheme in ("http", "https") else None
    except ValueError:
        return None


class RequestGuard:
    """ASGI middleware: 421 for a Host that is not allowed, 403 for a cross-site request."""

    def __init__(self, app: Any, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.allowed = tuple(allowed_hosts)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self.refusal(scope.get("method", "GET"), headers)
        if refusal is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            await send_json(send, *refusal)
        else:
            await send({"type": "websocket.close", "code": 1008})

    def refusal(self, method: str, headers: dict[str, str]) -> tuple[int, str] | None:
        """``(status, message)`` for a request to refuse; ``None`` to serve it."""
        names = ", ".join(self.allowed)
        host = headers.get("host", "")
        if not host_allowed(host_of(host), self.allowed):
            return (
                421,
                f"this service does not answer to the Host {host[:100]!r}; it answers to "
                f"{names} (the server adds names with 'foveal serve --allow-host NAME')",
            )
        origin = headers.get("origin")
        if origin is not None and not host_allowed(origin_host(origin), self.allowed):
            return (
                403,
                f"cross-site request refused: the page at {origin[:100]!r} is not on an "
                f"allowed host ({names}); call the service from its own page or from a "
                "program, or add the host with 'foveal serve --allow-host NAME'",
            )
        fetch_site = headers.get("sec-fetch-site", "").strip().lower()
        if fetch_site == "cross-site" and origin is None and method.upper() not in SAFE_METHODS:
            return (
                403,
                "cross-site request refused: a page on another site sent it "
                "(Sec-Fetch-Site: cross-site); call the service from its own page or a program",
            )
        return None
