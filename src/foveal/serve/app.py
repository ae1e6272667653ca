"""The HTTP service: one endpoint per task, ``/v1/analyze`` for several, a web page at ``/``.

>>> from foveal.serve.app import ServeSettings, create_app
>>> app = create_app(ServeSettings(token="s3cret"))          # doctest: +SKIP
>>> # uvicorn.run(app, host="127.0.0.1", port=8000)

Every response is JSON. A request gets ``{"width", "height", TASK: result}`` (the record format of
``foveal analyze``); an error gets ``{"error": message, "status": code}`` with a 4xx code for
anything the client can fix (too large, not an image, truncated, malformed form, bad token, bad
option), 501 for a task whose predictor cannot be loaded here, 504 when inference takes longer
than the timeout.

The tasks, their endpoints (``POST /v1/TASK``) and their form fields come from
:data:`foveal.tasks.TASKS`: a registered task is served without a change here.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
from fastapi import Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from foveal.errors import ConfigError, FovealError, ImageError
from foveal.serve.limits import ApiError, BodyLimit
from foveal.tasks import TASKS, TaskSpec

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000


@dataclass
class ServeSettings:
    """Service limits and options (``foveal serve --help``)."""

    token: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    timeout_s: float = 30.0
    workers: int = 2
    preload: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls, **kw: Any) -> ServeSettings:
        """Settings with the token from ``FOVEAL_API_TOKEN`` unless given."""
        if kw.get("token") is None:
            kw["token"] = os.environ.get("FOVEAL_API_TOKEN") or None
        return cls(**kw)


class Engine:
    """Runs tasks in a bounded thread pool; each predictor loads once (first use), then is
    shared."""

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.pool = ThreadPoolExecutor(
            max_workers=max(1, settings.workers), thread_name_prefix="foveal-serve"
        )

    def decode(self, data: bytes) -> np.ndarray:
        from PIL import Image, UnidentifiedImageError

        from foveal.io import load_image

        if not data:
            raise ApiError(
                400, "the uploaded file is empty (0 bytes); expected an image (JPEG, PNG, ...)"
            )
        try:
            with Image.open(io.BytesIO(data)) as im:
                w, h = im.size
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ApiError(
                415,
                "the upload is not an image foveal can read (JPEG, PNG, TIFF, BMP, GIF, WebP)",
            ) from exc
        if w * h > self.settings.max_pixels:
            raise ApiError(
                413,
                f"the image is {w}x{h} = {w * h:,} pixels, over this service's "
                f"limit of {self.settings.max_pixels:,}; send a smaller image",
            )
        try:
            return load_image(data, max_pixels=self.settings.max_pixels)
        except ImageError as exc:
            raise ApiError(400, str(exc).replace(f"<{len(data)} bytes>", "the upload")) from exc

    def _run(
        self, data: bytes, tasks: list[str], opts: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        from foveal.analyze.pipeline import analyze_images
        from foveal.analyze.tasks import load_runners

        image = self.decode(data)
        try:
            runners = load_runners(tasks, opts)  # each predictor loads once, under the table's lock
        except ConfigError as exc:
            raise ApiError(422, str(exc)) from exc
        rec = analyze_images([image], runners)[0]  # each request is analysed once
        for t in tasks:
            if "error" in rec[t]:
                raise ApiError(422, f"{t}: {rec[t]['error']}")
        return rec

    async def run(
        self, data: bytes, tasks: list[str], opts: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(self.pool, self._run, data, tasks, opts)
        try:
            return await asyncio.wait_for(fut, self.settings.timeout_s)
        except TimeoutError:
            raise ApiError(
                504, f"the request took longer than the {self.settings.timeout_s:g} s limit"
            ) from None


def _page() -> str:
    return resources.files("foveal.serve").joinpath("static/index.html").read_text(encoding="utf-8")


ALIASES = {"faces": "/v1/faces/detect", "identify": "/v1/faces/identify"}
"""Older paths of some tasks, served too."""


def http_options(spec: TaskSpec) -> dict[str, Any]:
    """The options a request may set: the call options and ``model``. Constructor options that
    name server-side files or engines (``gallery``, ``detector``, ``backend`` ...) stay the
    server's."""
    return {k: v for k, v in spec.options().items() if k == "model" or k not in spec.init_options}


def task_info(spec: TaskSpec) -> dict[str, Any]:
    """One entry of ``/v1/models``: the task, whether its code imports, its options."""
    info: dict[str, Any] = {
        "name": spec.name,
        "verb": spec.verb,
        "help": spec.help,
        "default_model": spec.default_model,
        "in_all": spec.in_all,
        "loaded": spec.is_loaded(),
    }
    try:
        info["options"] = http_options(spec)
        info["available"] = True
    except (ImportError, FovealError) as exc:
        info.update(options={}, available=False, error=f"{type(exc).__name__}: {exc}")
    return info


def task_endpoint(spec: TaskSpec, handle: Any, upload: Any) -> Any:
    """``POST /v1/TASK``: the image as ``file``, the task's options as form fields (text, coerced
    by the types of the task's ``Options``; a bad value is a 422)."""
    from foveal.analyze.tasks import coerce_options

    try:
        names = list(http_options(spec))
    except ImportError:
        names = []  # its code does not import here: every request gets the 501 that says why

    async def endpoint(file: UploadFile, **fields: str | None) -> dict[str, Any]:
        try:
            opts = coerce_options(spec, fields)
        except ConfigError as exc:
            raise ApiError(422, str(exc)) from exc
        return await handle(file, [spec.name], {spec.name: opts})

    params = [
        inspect.Parameter(
            "file", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=upload, annotation=UploadFile
        )
    ]
    params += [
        inspect.Parameter(
            n, inspect.Parameter.KEYWORD_ONLY, default=Form(None), annotation=str | None
        )
        for n in names
    ]
    endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    endpoint.__name__ = f"task_{spec.name}"
    return endpoint


def create_app(settings: ServeSettings | None = None) -> Any:
    """The FastAPI application (wrapped in the body-size limit)."""
    from foveal import __version__
    from foveal.analyze.tasks import TaskUnavailableError, check_task, parse_tasks, resolve_tasks

    settings = settings or ServeSettings.from_env()
    engine = Engine(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> Any:
        loop = asyncio.get_running_loop()
        for t in settings.preload:  # load these models before the first request
            reason = await loop.run_in_executor(engine.pool, check_task, t, None)
            if reason:
                raise TaskUnavailableError(f"--preload {t}: {reason}")
        yield
        engine.pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        lifespan=lifespan,
        title="foveal",
        version=__version__,
        description="Computer vision over HTTP: " + ", ".join(TASKS) + ". Send an image as "
        "multipart field `file`. With a token set, send `Authorization: Bearer TOKEN`.",
    )
    app.state.engine = engine
    app.state.settings = settings

    def err(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message, "status": status}, status_code=status)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return err(exc.status, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return err(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = [
            f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        ]
        return err(422, "invalid request: " + "; ".join(parts))

    @app.exception_handler(TaskUnavailableError)
    async def _unavailable(_: Request, exc: TaskUnavailableError) -> JSONResponse:
        return err(501, str(exc))

    @app.exception_handler(ConfigError)
    async def _config(_: Request, exc: ConfigError) -> JSONResponse:
        return err(400, str(exc))

    @app.exception_handler(FovealError)
    async def _foveal(_: Request, exc: FovealError) -> JSONResponse:
        return err(422, str(exc))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return err(500, f"internal error: {type(exc).__name__}: {exc}")

    def auth(request: Request) -> None:
        if not settings.token:
            return
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(
            given.strip().encode(), settings.token.encode()
        ):
            raise ApiError(401, "missing or wrong API token; send 'Authorization: Bearer TOKEN'")

    async def handle(
        file: UploadFile, tasks: list[str], opts: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        data = await file.read()
        return await engine.run(data, tasks, opts)

    guarded = [Depends(auth)]
    upload = File(..., description="the image (JPEG, PNG, TIFF, BMP, GIF, WebP)")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(_page())

    @app.get("/health", summary="liveness")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    @app.get(
        "/v1/models",
        summary="the tasks (options, whether loaded) and the model zoo",
        dependencies=guarded,
    )
    async def models() -> dict[str, Any]:
        from foveal.zoo import get, list_models

        return {
            "tasks": [task_info(spec) for spec in TASKS.values()],
            "zoo": [
                {"name": n, "task": get(n).task, "licence": get(n).weights.licence}
                for n in list_models()
            ],
            "limits": {
                "max_bytes": settings.max_bytes,
                "max_pixels": settings.max_pixels,
                "timeout_s": settings.timeout_s,
            },
        }

    @app.post(
        "/v1/analyze",
        summary="several tasks at once (comma-separated, or 'all')",
        dependencies=guarded,
    )
    async def analyze(
        file: UploadFile = upload,
        tasks: str = Form("classify"),
        top_k: int = Form(5, ge=1, le=1000),
    ) -> dict[str, Any]:
        if tasks.strip() == "all":
            loop = asyncio.get_running_loop()
            names, _ = await loop.run_in_executor(engine.pool, resolve_tasks, "all", None)
        else:
            names = parse_tasks(tasks)
        return await handle(file, names, {"classify": {"top_k": top_k}})

    for spec in TASKS.values():
        endpoint = task_endpoint(spec, handle, upload)
        for path in (f"/v1/{spec.name}", ALIASES.get(spec.name)):
            if path is not None:
                app.add_api_route(
                    path,
                    endpoint,
                    methods=["POST"],
                    summary=spec.help,
                    dependencies=guarded,
                    name=f"{spec.name} {path}",
                )

    return BodyLimit(app, settings.max_bytes)
