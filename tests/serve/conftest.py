"""A real foveal service on a free 127.0.0.1 port, shared by the serve tests."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

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


@pytest.fixture
def web_page(browser: Any, server: str, token: str) -> Callable[..., Any]:
    """``with web_page("ocr") as page``: the service's page with the token entered, the task
    list loaded (``ready``: a selector to wait for, default ``#task-<task>``) and only ``task``
    ticked."""

    @contextlib.contextmanager
    def open_page(task: str, *, ready: str | None = None) -> Iterator[Any]:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(server + "/")
        page.fill("#token", token)
        page.dispatch_event("#token", "change")
        page.wait_for_selector(ready or f"#task-{task}", timeout=30_000)
        page.evaluate(
            "(task) => document.querySelectorAll('#tasks input').forEach("
            "(cb) => { cb.checked = cb.value === task; })",
            task,
        )  # this task only
        yield page

    return open_page
