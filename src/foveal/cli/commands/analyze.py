"""foveal analyze PATH... — run several tasks over images, folders, globs and videos."""

from __future__ import annotations

import argparse


def _task_lines() -> str:
    from foveal.tasks import TASKS

    return "\n".join(
        f"  {name:<10} {spec.help}" + ("" if spec.in_all else " (not in 'all')")
        for name, spec in TASKS.items()
    )


def register(sub: argparse._SubParsersAction) -> None:
    from foveal.tasks import TASKS

    p = sub.add_parser(
        "analyze",
        help="run every task (" + ", ".join(TASKS) + ") over many images and videos",
        description=(
            "Run tasks over image files, folders, glob patterns and video files (frames sampled "
            "with --fps). Writes OUT/records.jsonl (one JSON record per image or frame) and "
            "optionally a CSV, annotated images, a self-contained HTML report and XMP metadata. "
            "Streams: memory stays flat on any number of files. Unreadable files are reported "
            "and skipped; --resume continues an interrupted run."
        ),
        epilog="tasks:\n" + _task_lines() + "\n\nexample: foveal analyze photos/ clip.mp4 "
        "--tasks classify,detect --fps 2 --html --out report/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", help="image or video files, folders or glob patterns")
    p.add_argument(
        "--tasks",
        default="all",
        help="comma-separated tasks: " + ", ".join(TASKS) + ", or 'all' (default: "
        "every task of 'all' whose model loads; skipped ones are listed)",
    )
    p.add_argument(
        "--out", "-o", default="analyze-out", help="output folder (default ./analyze-out)"
    )
    p.add_argument(
        "--fps", type=float, default=1.0, help="video frames sampled per second (default 1)"
    )
    p.add_argument(
        "--all-frames", action="store_true", help="analyse every video frame (overrides --fps)"
    )
    p.add_argument(
        "--track",
        action="store_true",
        help="videos: link detect boxes into tracks (IDs in each frame's record; use a high "
        "--fps or --all-frames)",
    )
    p.add_argument("--batch-size", type=int, default=8, help="images per network call (default 8)")
    p.add_argument(
        "--workers", type=int, default=None, help="decoding threads (default: CPUs, at most 4)"
    )
    p.add_argument(
        "--top-k",
        type=int,
        default=None,
        help="classes per image, for every task with a top_k option (classify: default 5)",
    )
    p.add_argument(
        "--conf",
        type=float,
        default=None,
        help="minimum confidence, for every task with a conf option (detect, faces)",
    )
    p.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="TASK=NAME",
        help="model for a task, e.g. --model classify=efficientnet_lite0.imagenet (repeatable)",
    )
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="TASK.NAME=VALUE",
        help="any option of a task, e.g. --option detect.iou=0.5 (repeatable)",
    )
    p.add_argument(
        "--csv", action="store_true", help="also write OUT/records.csv (one summary row per record)"
    )
    p.add_argument(
        "--annotate", action="store_true", help="also write annotated images to OUT/annotated/"
    )
    p.add_argument(
        "--html", action="store_true", help="also write the self-contained OUT/report.html"
    )
    p.add_argument(
        "--html-rows",
        type=int,
        default=1000,
        help="rows with thumbnails in the report (default 1000)",
    )
    p.add_argument(
        "--write-metadata",
        action="store_true",
        help="write labels, faces and text as XMP into copies under OUT/tagged/",
    )
    p.add_argument(
        "--in-place",
        action="store_true",
        help="with --write-metadata: tag the original files (atomic; pixels untouched)",
    )
    p.add_argument(
        "--resume", action="store_true", help="continue a run: skip records already in OUT"
    )
    p.add_argument(
        "--overwrite", action="store_true", help="start again, replacing OUT/records.jsonl"
    )
    p.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local threads (default) or Ray Data (see --address)",
    )
    p.add_argument(
        "--address",
        default=None,
        help="Ray cluster address (e.g. ray://head:10001 or auto); default: a local Ray instance",
    )
    p.add_argument("--num-cpus", type=int, default=None, help="CPUs for a local Ray instance")
    p.add_argument(
        "--max-pixels", type=int, default=None, help="refuse images above this many pixels"
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run)


def _shared_option(
    opts: dict[str, dict[str, object]], tasks: list[str], key: str, value: object
) -> None:
    """Give ``key`` to every requested task that has it (a task that does not load is left to
    :func:`foveal.analyze.tasks.resolve_tasks`, which reports why)."""
    from foveal.tasks import get_task

    for name in tasks:
        try:
            has_it = key in get_task(name).options()
        except ImportError:
            continue
        if has_it:
            opts.setdefault(name, {})[key] = value


def _options(args: argparse.Namespace) -> dict[str, dict[str, object]]:
    from foveal.analyze.tasks import coerce_options, parse_tasks
    from foveal.errors import ConfigError
    from foveal.tasks import get_task

    opts: dict[str, dict[str, object]] = {}
    tasks = parse_tasks(args.tasks)
    if args.top_k is not None:
        if args.top_k < 1:
            raise ConfigError(f"--top-k must be at least 1, got {args.top_k}")
        _shared_option(opts, tasks, "top_k", args.top_k)
    if args.conf is not None:
        if not 0.0 <= args.conf <= 1.0:
            raise ConfigError(f"--conf must be within 0..1, got {args.conf}")
        _shared_option(opts, tasks, "conf", args.conf)
    for item in args.model:
        task, sep, name = item.partition("=")
        if not sep or not name:
            raise ConfigError(
                f"--model takes TASK=NAME, e.g. classify=mobilenet_v2.imagenet; got {item!r}"
            )
        if "model" not in get_task(task.strip()).init_options:
            raise ConfigError(f"task {task!r} takes no model option")
        opts.setdefault(task.strip(), {})["model"] = name.strip()
    for item in args.option:
        key, sep, value = item.partition("=")
        task, dot, name = key.partition(".")
        if not sep or not dot or not name.strip():
            raise ConfigError(f"--option takes TASK.NAME=VALUE, e.g. detect.iou=0.5; got {item!r}")
        spec = get_task(task.strip())
        opts.setdefault(spec.name, {}).update(coerce_options(spec, {name.strip(): value}))
    return opts


def run(args: argparse.Namespace) -> int:
    from foveal.analyze.run import AnalyzeConfig, run_analyze

    cfg = AnalyzeConfig(
        inputs=args.inputs,
        tasks=args.tasks,
        out=args.out,
        options=_options(args),
        fps=None if args.all_frames else args.fps,
        batch_size=args.batch_size,
        workers=args.workers,
        csv=args.csv,
        html=args.html,
        html_rows=args.html_rows,
        annotate=args.annotate,
        write_metadata=args.write_metadata,
        in_place=args.in_place,
        resume=args.resume,
        overwrite=args.overwrite,
        progress=not args.no_progress,
        max_pixels=args.max_pixels,
        engine=args.engine,
        address=args.address,
        num_cpus=args.num_cpus,
        track=args.track,
    )
    stats = run_analyze(cfg)
    return 1 if stats["bad"] or stats.get("untagged") else 0
