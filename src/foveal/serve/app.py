"""The HTTP service: one endpoint per task, ``/v1/analyze`` for several, a web page at ``/``.

>>> from pathlib import Path
>>> import httpx
>>> from foveal.serve.app import ServeSettings, create_app
>>> from foveal.serve.background import serve_in_thread
>>> app = create_app(ServeSettings(token="s3cret"))   # ASGI: uvicorn.run(app, port=8000)
>>> photo = {"file": ("coffee.png", Path("coffee.png").read_bytes())}
>>> with serve_in_thread(ServeSettings(token="s3cret")) as url:
...     refused = httpx.post(url + "/v1/detect", files=photo)
...     answer = httpx.post(url + "/v1/detect", files=photo, timeout=60,
...                         headers={"Authorization": "Bearer s3cret"}).json()
>>> refused.status_code, refused.json()["error"]
(401, "missing or wrong API token; send 'Authorization: Bearer TOKEN'")
>>> answer["width"], answer["height"], [d["name"] for d in answer["detect"]["detections"]]
(600, 400, ['cup', 'dining table'])

Every response is JSON. A request gets ``{"width", "height", TASK: result}`` (the record format of
``foveal analyze``); an error gets ``{"error": message, "status": code}`` with a 4xx code for
anything the client can fix (too large, not an image, truncated, malformed form, bad token, bad
option, a model that is not served), 501 for a task whose predictor cannot be loaded here, 504
when inference takes longer than the timeout. No answer holds a path of the server.

Safe by default: only the models allowed at start are served (``ServeSettings.models``), only
requests naming an allowed ``Host`` are answered and cross-site requests are refused
(:mod:`foveal.serve.guard`), ``/docs`` loads nothing from another host.

The tasks, their endpoints (``POST /v1/TASK``) and their form fields come from
:data:`foveal.tasks.TASKS`: a registered task is served without a change here.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import secrets
from importlib import resources
from typing import Any

from fastapi import Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from foveal.errors import ConfigError, FovealError
from foveal.serve.docs import add_docs
from foveal.serve.engine import Engine, ServeSettings
from foveal.serve.guard import RequestGuard
from foveal.serve.limits import ApiError, BodyLimit
from foveal.serve.models import ServedModels
from foveal.tasks import TASKS, TaskSpec


def _page() -> str:
    return resources.files("foveal.serve").joinpath("static/index.html").read_text(encoding="utf-8")


ALIASES = {"faces": "/v1/faces/detect", "identify": "/v1/faces/identify"}
"""Older paths of some tasks, served too."""


def http_options(spec: TaskSpec) -> dict[str, Any]:
    """The options a request may set: the call options and ``model``. Constructor options that
    name server-side files or engines (``gallery``, ``detector``, ``backend`` ...) stay the
    server's."""
    return {k: v for k, v in spec.options().items() if k == "model" or k not in spec.init_options}


def task_info(spec: TaskSpec, served: ServedModels) -> dict[str, Any]:
    """One entry of ``/v1/models``: the task, whether its code imports, its options, the models
    a request may name and the one it gets without naming one."""
    info: dict[str, Any] = {
        "name": spec.name,
        "verb": spec.verb,
        "help": spec.help,
        "default_model": spec.default_model,
        "in_all": spec.in_all,
        "loaded": spec.is_loaded(),
    }
    if "model" in spec.init_options:
        info["default_model"] = served.default_for(spec)
        info["models"] = served.for_task(spec)
    try:
        info["options"] = http_options(spec)
        if "blocks" in spec.init_options:
            info["options"]["blocks"] = False  # the switch of with_blocks
        info["available"] = True
    except (ImportError, FovealError) as exc:
        info.update(options={}, available=False, error=f"{type(exc).__name__}: {exc}")
    return info


def task_endpoint(spec: TaskSpec, handle: Any, upload: Any, served: ServedModels) -> Any:
    """``POST /v1/TASK``: the image as ``file``, the task's options as form fields (text, coerced
    by the types of the task's ``Options``; a bad value, or a model not served, is a 422)."""
    from foveal.analyze.tasks import coerce_options

    try:
        names = list(http_options(spec))
    except ImportError:
        names = []  # its code does not import here: every request gets the 501 that says why

    takes = ["file", *names, *(["blocks"] if "blocks" in spec.init_options else [])]

    async def endpoint(request: Request, file: UploadFile, **fields: Any) -> dict[str, Any]:
        unknown = sorted(set((await request.form()).keys()) - set(takes))
        if unknown:  # e.g. threads or precision: the server's, never silently ignored
            raise ApiError(
                422,
                f"/v1/{spec.name} has no field(s) {', '.join(unknown)}; it takes "
                f"{', '.join(takes)} (threads and int8 models are the server's settings: "
                "foveal serve --threads N --models FILE)",
            )
        blocks = bool(fields.pop("blocks", False))
        try:
            opts = coerce_options(spec, fields)
        except ConfigError as exc:
            raise ApiError(422, str(exc)) from exc
        opts = served_options(spec, served, opts)
        return await handle(file, [spec.name], {spec.name: with_blocks(spec, opts, blocks)})

    params = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        inspect.Parameter(
            "file", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=upload, annotation=UploadFile
        ),
    ]
    params += [
        inspect.Parameter(
            n, inspect.Parameter.KEYWORD_ONLY, default=Form(None), annotation=str | None
        )
        for n in names
    ]
    if "blocks" in spec.init_options:
        params.append(
            inspect.Parameter(
                "blocks", inspect.Parameter.KEYWORD_ONLY, default=BLOCKS_FIELD, annotation=bool
            )
        )
    endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    endpoint.__name__ = f"task_{spec.name}"
    return endpoint


BLOCKS_FIELD = Form(
    False, description="ocr: also find layout blocks (text, title, figure, table ...)"
)
"""The ``blocks`` switch of OCR requests (``/v1/ocr`` and ``/v1/analyze``)."""


def with_blocks(spec: TaskSpec, opts: dict[str, Any], blocks: bool) -> dict[str, Any]:
    """``opts`` of a request with ``blocks=true``: the task's default layout model finds blocks.
    The layout model is the server's choice (like every constructor option), the request only
    switches it on; tasks without blocks ignore the switch.

    >>> with_blocks(TASKS["ocr"], {}, True)
    {'blocks': 'ppocr_layout.cdla'}
    >>> with_blocks(TASKS["detect"], {}, True)
    {}
    """
    if not blocks or "blocks" not in spec.init_options:
        return opts
    from foveal.tasks.ocr.blocks import DEFAULT_LAYOUT

    return {**opts, "blocks": DEFAULT_LAYOUT}


def served_options(
    spec: TaskSpec, served: ServedModels, opts: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A request's options with ``model`` replaced by what the loader gets (ApiError 422 for a
    model that is not served; no ``model`` for the task's default)."""
    opts = dict(opts or {})
    model = served.resolve(spec, opts.pop("model", None))
    return opts if model is None else {**opts, "model": model}


def preload_models(settings: ServeSettings) -> None:
    """Load the models of the ``settings.preload`` tasks now. ``foveal serve`` calls this before
    it starts serving, so a model that does not load is one line, not a failed start-up.

    Raises:
        TaskUnavailableError: a task whose model does not load here (the reason redacted as
            the service redacts it).
    """
    from foveal.analyze.tasks import TaskUnavailableError, check_task

    served = ServedModels.from_list(settings.models)
    for t in settings.preload:
        reason = check_task(t, served_options(TASKS[t], served))
        if reason:
            raise TaskUnavailableError(f"--preload {t}: {served.redact(reason)}")


def create_app(settings: ServeSettings | None = None) -> Any:
    """The FastAPI application, wrapped in the Host/cross-site guard and the body-size limit.

    Raises:
        ConfigError: a ``settings.models`` entry that is neither a zoo name nor a model file.
    """
    from foveal import __version__
    from foveal.analyze.tasks import TaskUnavailableError, check_task, parse_tasks
    from foveal.tasks import all_tasks

    settings = settings or ServeSettings.from_env()
    served = ServedModels.from_list(settings.models)
    engine = Engine(settings)

    def default_options(names: list[str]) -> dict[str, dict[str, Any]]:
        return {t: served_options(TASKS[t], served) for t in names}

    def runnable_tasks() -> list[str]:
        """The tasks of ``tasks=all`` whose served model loads here."""
        names = [t for t in all_tasks() if served.serves(TASKS[t])]
        opts = default_options(names)
        reasons = {t: check_task(t, opts[t]) for t in names}
        ok = [t for t, reason in reasons.items() if reason is None]
        if not ok:
            raise TaskUnavailableError(
                "no task can run here: " + "; ".join(f"{k}: {v}" for k, v in reasons.items())
            )
        return ok

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> Any:
        # load these models before the first request (loaded already when the command line
        # checked them: the predictors are shared)
        await asyncio.get_running_loop().run_in_executor(engine.pool, preload_models, settings)
        yield
        engine.pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        lifespan=lifespan,
        title="foveal",
        version=__version__,
        description="Computer vision over HTTP: " + ", ".join(TASKS) + ". Send an image as "
        "multipart field `file`. With a token set, send `Authorization: Bearer TOKEN`.",
        docs_url=None,
        redoc_url=None,
    )
    add_docs(app, "foveal")
    app.state.engine = engine
    app.state.settings = settings

    def err(status: int, message: str) -> JSONResponse:
        message = served.redact(message)  # no path of this machine in any answer
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
        from foveal.zoo import get

        return {
            "tasks": [task_info(spec, served) for spec in TASKS.values()],
            "models": [
                {"name": n, "task": "file"}
                if served.is_file(n)
                else {"name": n, "task": get(n).task, "licence": get(n).weights.licence}
                for n in served.names()
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
        blocks: bool = BLOCKS_FIELD,
    ) -> dict[str, Any]:
        if tasks.strip() == "all":
            loop = asyncio.get_running_loop()
            names = await loop.run_in_executor(engine.pool, runnable_tasks)
        else:
            names = parse_tasks(tasks)
        opts = default_options(names)
        if "classify" in opts:
            opts["classify"]["top_k"] = top_k
        opts = {t: with_blocks(TASKS[t], o, blocks) for t, o in opts.items()}
        return await handle(file, names, opts)

    for spec in TASKS.values():
        endpoint = task_endpoint(spec, handle, upload, served)
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

    return RequestGuard(BodyLimit(app, settings.max_bytes), settings.allowed_hosts)
