"""foveal segment IMAGES|VIDEOS [--model RUN] --out DIR — one mask PNG per image or video frame
(overlays, cut-outs, blurred backgrounds)."""

from __future__ import annotations

import argparse
from typing import Any

from foveal.cli.media import add_frame_options
from foveal.cli.output import add_runtime_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "segment",
        help="a class for every pixel: people vs background, or your trained U-Net",
        description="Segment images: people vs background with MediaPipe's selfie model (the "
        "default; --remove-background, --blur-background), or with a model from 'foveal train "
        "segment'. Each image gives DIR/<stem>.png (DIR/clip-f12.png for frame 12 of clip.mp4), "
        "a mask in the training masks' values (0/255 in, 0/255 out; class ids in, "
        "class ids out). Images of any size run in overlapping windows with bounded memory.",
        epilog="examples: foveal segment slices/ --model runs/segment/1 --out masks/ --overlay; "
        "foveal segment photo.jpg --remove-background --out cut/",
    )
    p.add_argument("inputs", nargs="+", help="image files, folders, glob patterns or video files")
    p.add_argument(
        "--model",
        default="selfie.mediapipe",
        help="training run folder or .onnx file (default: MediaPipe's person segmentation)",
    )
    p.add_argument(
        "--out",
        help="write DIR/<stem>.png masks here (default with --overlay, --remove-background or "
        "--blur-background: the current folder)",
    )
    p.add_argument(
        "--remove-background",
        action="store_true",
        help="write DIR/<stem>.cutout.png: the image with class 0 transparent (alpha = 1 - its "
        "probability)",
    )
    p.add_argument(
        "--blur-background",
        action="store_true",
        help="write DIR/<stem>.blurred.png: class 0 blurred, the rest sharp (soft edges)",
    )
    p.add_argument(
        "--overlay", action="store_true", help="also write DIR/<stem>.overlay.png (needs --out)"
    )
    p.add_argument("--tile", type=int, default=512, help="sliding-window size (default 512)")
    p.add_argument("--overlap", type=int, default=64, help="window overlap (default 64)")
    add_frame_options(p)
    p.add_argument(
        "--tta",
        action="store_true",
        help="trained U-Nets: average each window's 8 flips and 90-degree turns instead of one "
        "pass (8x slower; a small gain at best)",
    )
    p.add_argument(
        "--json", action="store_true", help="one JSON object per image / video frame (JSON lines)"
    )
    add_runtime_options(p)
    p.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (shown on terminals)"
    )
    p.set_defaults(func=run)


def _png(image: Any) -> bytes:
    """PNG bytes of a PIL image or an array."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(buf, format="PNG")
    return buf.getvalue()


def run(args: argparse.Namespace) -> int:
    import sys

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
    from foveal.tasks import get_task
    from foveal.utils.files import atomic_write_bytes
    from foveal.viz import annotate
    from foveal.viz.segmentation import blur_background, remove_background

    check_frame_options(args)
    use_runtime_options(args)
    if not args.out and (args.overlay or args.remove_background or args.blur_background):
        args.out = "."  # pictures were asked for: they go where the user is (never over an input)
    soft = args.remove_background or args.blur_background
    out_dir = check_writable_dir(args.out, option="--out") if args.out else None
    files = expand_sources(args.inputs, media=True)
    require_inputs(files, args.inputs, "images or videos")
    seg = get_task("segment").load(model=args.model, threads=args.threads)
    opts = seg.options(tile=args.tile, overlap=args.overlap, tta=args.tta)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    report = BatchReport()
    stream = seg.predict_batch(
        files,
        report=report,
        every=args.every,
        fps=args.fps,
        tile=opts.tile,
        overlap=opts.overlap,
        probabilities=soft,
        tta=opts.tta,
    )
    shown = not args.no_progress and stderr_is_terminal()
    total, unit = media_total(files, args.every, args.fps) if shown else (None, "img")
    names = OutputNames(out_dir, files) if out_dir is not None else None
    kinds = (".png", ".overlay.png", ".cutout.png", ".blurred.png")
    for item, result in progress(stream, total=total, desc="segment", unit=unit, enabled=shown):
        written: dict[str, str] = {}
        if out_dir is not None and names is not None:
            stem = names.stem(item, kinds)
            atomic_write_bytes(out_dir / f"{stem}.png", _png(result.mask_image()))
            written["output"] = str(out_dir / f"{stem}.png")
            if args.overlay:
                atomic_write_bytes(
                    out_dir / f"{stem}.overlay.png", _png(annotate(item.load(), result))
                )
            if args.remove_background:
                atomic_write_bytes(
                    out_dir / f"{stem}.cutout.png", _png(remove_background(item.load(), result))
                )
            if args.blur_background:
                atomic_write_bytes(
                    out_dir / f"{stem}.blurred.png", _png(blur_background(item.load(), result))
                )
        if args.json:
            write_jsonl({**item_fields(item), **written, **result.to_dict()}, sys.stdout)
        else:
            areas = ", ".join(f"{n} {a}" for n, a in result.areas.items())
            where = f" -> {written['output']}" if written else ""
            print(f"{item.name}: {areas}{where}", flush=True)
    report_bad(report, as_json=args.json)
    return 1 if report.bad else 0
