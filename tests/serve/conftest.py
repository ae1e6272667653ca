"""A real foveal service on a free 127.0.0.1 port, shared by the serve tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

TOKEN = "test-token-123"


@pytest.fixture(scope="session")
def token() -> str:
    return TOKEN


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    from foveal.serve.app import ServeSettings
    from foveal.serve.background import serve_in_thread

    settings = ServeSettings(
        token=TOKEN, max_bytes=2 * 1024 * 1024, max_pixels=4_000_000, timeout_s=60
    )
    with serve_in_thread(settings) as url:
        yield url


@pytest.fixture(scope="session")
def client(server: str) -> Iterator[object]:
    import httpx

    with httpx.Client(
        base_url=server, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120
    ) as c:
        yield c
