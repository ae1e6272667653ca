"""``/docs``: the Swagger UI, served from this machine (the files the ``fastapi-offline`` package
ships), so the page works offline and makes no request to another host.

>>> sorted(ASSETS)
['favicon.png', 'swagger-ui-bundle.js', 'swagger-ui.css']
"""

from __future__ import annotations

from importlib import resources
from typing import Any

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}
"""The files the page loads, with their content types."""

PREFIX = "/docs/assets"
_CACHE: dict[str, bytes] = {}


def add_docs(app: Any, title: str) -> None:
    """Add ``GET /docs`` and its assets under ``/docs/assets/`` to a FastAPI app created with
    ``docs_url=None``."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse, Response

    from foveal.serve.limits import ApiError

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=f"{title} - API",
            swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(PREFIX + "/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        if name not in ASSETS:
            raise ApiError(404, f"no file {name!r} here; /docs loads {', '.join(ASSETS)}")
        if name not in _CACHE:
            _CACHE[name] = resources.files("fastapi_offline").joinpath("static", name).read_bytes()
        return Response(
            _CACHE[name],
            media_type=ASSETS[name],
            headers={"cache-control": "public, max-age=86400"},
        )
