"""Run the service in a background thread on a free loopback port (tests, benchmarks, notebooks).

>>> import httpx
>>> from foveal.serve.background import serve_in_thread
>>> with serve_in_thread() as url:
...     httpx.get(url + "/health").json()["status"]
'ok'
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

from foveal.errors import FovealError
from foveal.serve.app import ServeSettings, create_app


@contextlib.contextmanager
def serve_in_thread(
    settings: ServeSettings | None = None, *, host: str = "127.0.0.1"
) -> Iterator[str]:
    """Start uvicorn on ``host`` with a free port; yields the base URL; stops it on exit."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings or ServeSettings()), log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="foveal-uvicorn"
    )
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise FovealError("the foveal service did not start (see the log above)")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
