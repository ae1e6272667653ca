"""foveal explain IMAGE|DIR|GLOB|VIDEO ... — Grad-CAM heat maps saved as PNG overlays (videos:
every N-th frame, saved as ``clip-f12_gradcam.png``)."""

from __future__ import annotations

import argparse

from foveal.cli.media import add_frame_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "explain",
        help="show where a classifier looks (Grad-CAM heat map overlays as PNG)",
        epilog="example: foveal explain cat.jpg --model runs/classify/1 --out cams/",
    )
    p.add_argument("inputs", nargs="+", help="image files, folders, glob patterns or video files")
    p.add_argument(
        "--model", default="mobilenet_v2.imagenet", help="zoo classifier or training run folder"
    )
    p.add_argument(
        "--class", dest="target", help="explain this class (name or index) instead of the top one"
    )
    p.add_argument(
        "--out",
        default="explain",
        help="output folder (default ./explain), or a .png for one image",
    )
    p.add_argument("--alpha", type=float, default=0.45, help="heat map opacity")
    add_frame_options(p)
    p.add_argument(
        "--json", action="store_true", help="one JSON object per image / video frame (JSON lines)"
    )
    p.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (shown on terminals)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from foveal.cli.media import OutputNames, check_frame_options, item_fields, media_total
    from foveal.cli.output import (
        check_writable_dir,
        check_writable_file,
        progress,
        report_bad,
        require_inputs,
        stderr_is_terminal,
        write_jsonl,
    )
    from foveal.errors import ConfigError, FovealError
    from foveal.io import BatchReport, expand_sources, is_image_file, iter_sources
    from foveal.runtime.open import looks_like_path, not_a_model
    from foveal.tasks.classify.explain import explain, load_torch_classifier

    if not 0 <= args.alpha <= 1:
        raise ConfigError(f"--alpha must be within 0..1, got {args.alpha}")
    check_frame_options(args)
    files = expand_sources(args.inputs, media=True)
    require_inputs(files, args.inputs, "images or videos")
    out = Path(args.out)
    one_png = out.suffix.lower() == ".png"
    if one_png and (len(files) > 1 or not is_image_file(files[0])):
        what = f"{len(files)} inputs" if len(files) > 1 else f"{files[0]} gives several images"
        raise ConfigError(f"--out {out} is one PNG file but {what}; pass a folder")
    if one_png:
        check_writable_file(out, option="--out")
    else:
        check_writable_dir(out, option="--out")
    if looks_like_path(args.model) and not Path(args.model).exists():
        raise not_a_model(args.model)
    loaded = load_torch_classifier(args.model)
    report = BatchReport()
    shown = not args.no_progress and stderr_is_terminal()
    total, unit = media_total(files, args.every, args.fps) if shown else (None, "img")
    items = iter_sources(files, every=args.every, report=report, fps=args.fps)
    names = OutputNames(out, files)
    for item in progress(items, total=total, desc="explain", unit=unit, enabled=shown):
        dest = out if one_png else out / f"{names.stem(item, ('_gradcam.png',))}_gradcam.png"
        try:
            res = explain(
                item.source, target=args.target, out=dest, alpha=args.alpha, loaded=loaded
            )
        except FovealError as exc:
            if isinstance(exc, ConfigError):
                raise
            report.add_bad(item, exc)
            continue
        report.ok += 1
        if args.json:
            write_jsonl({**item_fields(item), **res.to_dict()})
        else:
            print(f"{item.name}: {res.name} ({res.score:.3f}) -> {res.path}", flush=True)
    report_bad(report, as_json=args.json)
    if report.bad and not args.json:
        print(report.summary().splitlines()[0], file=sys.stderr)
    return 1 if report.bad else 0
