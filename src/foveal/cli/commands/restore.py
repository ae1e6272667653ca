"""foveal restore IMAGE|DIR|GLOB|VIDEO ... --out DIR — denoise / restore images (videos: every
N-th frame, written as ``clip-f12.png``)."""

from __future__ import annotations

import argparse

from foveal.cli.media import add_frame_options
from foveal.cli.output import add_runtime_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "restore",
        help="restore images (denoise with the shipped model, or your own trained one)",
        description="Restore images, folders, glob patterns or video frames and write one PNG "
        "per image, under the same name (clip-f12.png for frame 12 of clip.mp4), into --out. "
        "Large images run in overlapping tiles (bounded memory). Unreadable files are reported "
        "and skipped.",
        epilog="example: foveal restore scans/ --out restored/ --model runs/restore/1",
    )
    p.add_argument("inputs", nargs="+", help="image files, folders, glob patterns or video files")
    p.add_argument("--out", required=True, help="output folder (created if needed)")
    p.add_argument(
        "--model",
        default=None,
        help="training run folder or .onnx file (default: the shipped denoiser "
        "restore_unet.gaussian)",
    )
    p.add_argument("--tile", type=int, default=512, help="tile side in pixels (default 512)")
    p.add_argument("--overlap", type=int, default=32, help="tile overlap in pixels (default 32)")
    add_frame_options(p)
    p.add_argument(
        "--json", action="store_true", help="one JSON object per image / video frame (JSON lines)"
    )
    add_runtime_options(p)
    p.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (shown on terminals)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    from foveal.cli.media import OutputNames, check_frame_options, item_fields, media_total
    from foveal.cli.output import (
        check_writable_dir,
        progress,
        report_bad,
        require_inputs,
        stderr_is_terminal,
        use_runtime_options,
        write_jsonl,
    )
    from foveal.io import BatchReport, expand_sources
    from foveal.tasks import TASKS

    check_frame_options(args)
    use_runtime_options(args)
    out_dir = check_writable_dir(args.out, option="--out")
    files = expand_sources(args.inputs, media=True)
    require_inputs(files, args.inputs, "images or videos")
    restorer = TASKS["restore"].load(model=args.model, threads=args.threads)
    opts = {"tile": args.tile, "overlap": args.overlap}
    restorer.options(**opts)  # bad options fail before any work
    out_dir.mkdir(parents=True, exist_ok=True)
    report = BatchReport()
    stream = restorer.predict_batch(files, report=report, every=args.every, fps=args.fps, **opts)
    shown = not args.no_progress and stderr_is_terminal()
    total, unit = media_total(files, args.every, args.fps) if shown else (None, "img")
    bar = progress(stream, total=total, desc="restore", unit=unit, enabled=shown)
    names = OutputNames(out_dir, files)
    for item, result in bar:
        path = result.save(out_dir / f"{names.stem(item)}.png")
        if args.json:
            write_jsonl({**item_fields(item), "output": str(path), **result.to_dict()})
        else:
            print(f"{item.name} -> {path}", flush=True)
    report_bad(report, as_json=args.json)
    return 1 if report.bad else 0
