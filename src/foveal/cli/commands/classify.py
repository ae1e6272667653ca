"""foveal classify IMAGE|DIR|GLOB|VIDEO ... — image classification (videos: every N-th frame)."""

from __future__ import annotations

import argparse

from foveal.cli.media import add_frame_options
from foveal.cli.output import add_precision_options, add_runtime_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "classify",
        help="classify images (ImageNet classes, or your own trained model)",
        description="Classify images, folders, glob patterns or video files (.mp4, .avi, ...; "
        "every N-th frame with --every, named clip.mp4#N). Unreadable files are reported "
        "and skipped.",
        epilog="example: foveal classify photos/ --top-k 3 --json > labels.jsonl",
    )
    p.add_argument("inputs", nargs="+", help="image files, folders, glob patterns or video files")
    p.add_argument(
        "--model",
        default="mobilenet_v2.imagenet",
        help="zoo name, .onnx file or training run folder",
    )
    p.add_argument("--top-k", type=int, default=5, help="classes per image (default 5)")
    p.add_argument(
        "--tta",
        action="store_true",
        help="average over the image and its mirror (not for text, digits or arrows)",
    )
    p.add_argument(
        "--json", action="store_true", help="one JSON object per image / video frame (JSON lines)"
    )
    add_frame_options(p)
    p.add_argument("--backend", choices=("onnx", "torch"), default="onnx")
    p.add_argument(
        "--batch-size",
        type=int,
        default=2,
        help="images per network call (default 2: the fastest on a CPU, docs/speed.md)",
    )
    add_runtime_options(p)
    add_precision_options(p)
    p.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (shown on terminals)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from foveal.cli.media import check_frame_options, item_fields, media_total
    from foveal.cli.output import (
        progress,
        report_bad,
        require_inputs,
        stderr_is_terminal,
        use_runtime_options,
        write_jsonl,
    )
    from foveal.errors import ConfigError
    from foveal.io import BatchReport, expand_sources
    from foveal.tasks import TASKS

    if args.top_k < 1:
        raise ConfigError(f"--top-k must be at least 1, got {args.top_k}")
    if args.batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {args.batch_size}")
    check_frame_options(args)
    use_runtime_options(args)
    files = expand_sources(args.inputs, media=True)
    require_inputs(files, args.inputs, "images or videos")
    clf = TASKS["classify"].load(
        model=args.model,
        backend=args.backend,
        threads=args.threads,
        precision=args.precision,
        calibrate=args.calibrate,
    )
    report = BatchReport()
    stream = clf.predict_batch(
        files,
        top_k=args.top_k,
        tta=args.tta,
        batch_size=args.batch_size,
        every=args.every,
        fps=args.fps,
        report=report,
    )
    shown = not args.no_progress and stderr_is_terminal()
    total, unit = media_total(files, args.every, args.fps) if shown else (None, "img")
    bar = progress(stream, total=total, desc="classify", unit=unit, enabled=shown)
    for item, result in bar:
        if args.json:
            write_jsonl({**item_fields(item), **result.to_dict()})
        else:
            top = ", ".join(
                f"{n} ({s:.3f})" for n, s in zip(result.names, result.scores, strict=True)
            )
            print(f"{item.name}: {top}", flush=True)
    report_bad(report, as_json=args.json)
    return 1 if report.bad else 0
