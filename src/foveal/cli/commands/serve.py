"""foveal serve — the HTTP service (FastAPI + uvicorn) with a web page."""

from __future__ import annotations

import argparse

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def register(sub: argparse._SubParsersAction) -> None:
    from foveal.cli.output import add_runtime_options
    from foveal.tasks import TASKS

    p = sub.add_parser(
        "serve",
        help="serve every task over HTTP, with a web page (127.0.0.1 by default)",
        description=(
            "Start the foveal HTTP service: POST /v1/TASK for every task ("
            + ", ".join(TASKS)
            + ") and /v1/analyze for several; GET /health, /v1/models, "
            "/docs (OpenAPI) and / (web page). Models load on first use and are shared by all "
            "requests. Only the models of --models are served, only requests naming this "
            "machine (or an --allow-host name) in their Host header are answered, and requests "
            "from pages on other sites are refused."
        ),
        epilog="example: FOVEAL_API_TOKEN=s3cret foveal serve --port 8000 --preload classify "
        "--models mobilenet_v2.imagenet,runs/cls7",
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--token",
        default=None,
        help="require 'Authorization: Bearer TOKEN' (default: $FOVEAL_API_TOKEN)",
    )
    p.add_argument(
        "--max-upload-mb", type=float, default=20.0, help="largest request body (default 20 MB)"
    )
    p.add_argument(
        "--max-pixels", type=int, default=40_000_000, help="largest image (default 40 MP)"
    )
    p.add_argument(
        "--timeout", type=float, default=30.0, help="seconds per request before 504 (default 30)"
    )
    p.add_argument("--workers", type=int, default=2, help="inference threads (default 2)")
    p.add_argument("--preload", default="", help="comma-separated tasks to load before serving")
    p.add_argument(
        "--models",
        default=None,
        metavar="NAME[,NAME...]",
        help="the models a request's 'model' field may name: zoo names, .onnx files or run "
        "folders (served by file or folder name); default: each task's zoo default model",
    )
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests whose Host header is NAME ('*.example.org' for a domain, "
        "'*' for any); repeatable. Default: localhost names, 127.0.0.1, ::1 and --host",
    )
    p.add_argument(
        "--log-level", default="info", choices=("critical", "error", "warning", "info", "debug")
    )
    add_runtime_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    import uvicorn

    from foveal.analyze.tasks import parse_tasks
    from foveal.cli.output import use_runtime_options
    from foveal.errors import ConfigError
    from foveal.serve.app import ServeSettings, create_app, preload_models
    from foveal.serve.guard import DEFAULT_HOSTS

    # --threads/--spin/--device (or a bad FOVEAL_THREADS/FOVEAL_SPIN) hold for every request:
    # checked now, as the operator's, not at each request as the client's
    use_runtime_options(args)

    if args.max_upload_mb <= 0 or args.max_pixels <= 0 or args.timeout <= 0 or args.workers < 1:
        raise ConfigError("--max-upload-mb, --max-pixels, --timeout and --workers must be positive")
    settings = ServeSettings.from_env(
        token=args.token,
        max_bytes=int(args.max_upload_mb * 1024 * 1024),
        max_pixels=args.max_pixels,
        timeout_s=args.timeout,
        workers=args.workers,
        preload=parse_tasks(args.preload) if args.preload.strip() else [],
        models=None if args.models is None else [m for m in args.models.split(",") if m.strip()],
        allowed_hosts=allowed_hosts(args.host, args.allow_host, DEFAULT_HOSTS),
    )
    if settings.models is not None and not settings.models:
        raise ConfigError(
            "--models is empty; name at least one model, e.g. --models yolox_nano.coco"
        )
    if args.host not in LOOPBACK and not settings.token:
        print(
            f"foveal serve: warning: listening on {args.host} without a token; anyone who can "
            "reach it can use it (set --token or FOVEAL_API_TOKEN)",
            file=sys.stderr,
        )
    if args.host in ("0.0.0.0", "::") and not args.allow_host:
        print(
            f"foveal serve: note: only requests whose Host header is one of "
            f"{', '.join(settings.allowed_hosts)} are answered; add the names clients use with "
            "--allow-host NAME",
            file=sys.stderr,
        )
    app = create_app(settings)
    preload_models(settings)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def allowed_hosts(bind: str, extra: list[str], default: tuple[str, ...]) -> list[str]:
    """The Host names answered: this machine's, the address bound (unless a wildcard) and
    ``--allow-host`` (each may hold several, comma-separated)."""
    hosts = list(default)
    if bind not in ("0.0.0.0", "::", ""):
        hosts.append(bind)
    for item in extra:
        hosts += [h.strip() for h in item.split(",") if h.strip()]
    return list(dict.fromkeys(hosts))
