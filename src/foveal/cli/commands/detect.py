"""foveal detect IMAGE|DIR|GLOB|VIDEO ... — object detection (COCO classes, or your own trained
model)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from foveal.cli.media import add_frame_options
from foveal.cli.output import add_precision_options, add_runtime_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "detect",
        help="detect objects (boxes + classes) in images, folders or videos",
        description=(
            "Detect objects in images, folders, glob patterns or video files (.mp4, .avi, ...). "
            "Unreadable files are reported and skipped."
        ),
        epilog=(
            "example: foveal detect street.jpg clips/walk.mp4 --classes person,car "
            "--save annotated/ --json"
        ),
    )
    p.add_argument("inputs", nargs="+", help="image files, folders, glob patterns or video files")
    p.add_argument(
        "--model", default="yolox_nano.coco", help="zoo name, .onnx file or training run folder"
    )
    p.add_argument("--conf", type=float, default=0.25, help="minimum score (default 0.25)")
    p.add_argument("--iou", type=float, default=0.45, help="NMS IoU threshold (default 0.45)")
    p.add_argument("--classes", help="comma-separated class names to keep, e.g. person,car")
    p.add_argument("--max-det", type=int, default=300, help="at most this many boxes per image")
    p.add_argument(
        "--save", metavar="DIR", help="write annotated copies (images; .mp4 for videos) into DIR"
    )
    add_frame_options(p)
    p.add_argument(
        "--json", action="store_true", help="one JSON object per image / video frame (JSON lines)"
    )
    p.add_argument("--backend", choices=("onnx", "torch"), default="onnx")
    add_runtime_options(p)
    add_precision_options(p)
    p.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (shown on terminals)"
    )
    p.set_defaults(func=run)


def _print(source: str, result: Any, *, as_json: bool, frame: int | None = None) -> None:
    import sys

    from foveal.cli.output import write_jsonl

    if as_json:
        rec: dict[str, Any] = {"source": source}
        if frame is not None:
            rec["frame"] = frame
        write_jsonl({**rec, **result.to_dict()}, sys.stdout)
        return
    where = f"{source}#{frame}" if frame is not None else source
    objs = ", ".join(
        f"{n} {s:.2f} [{', '.join(f'{v:.0f}' for v in b)}]"
        for n, s, b in zip(result.names, result.scores, result.xyxy, strict=True)
    )
    print(f"{where}: {len(result)} object(s){': ' + objs if objs else ''}", flush=True)


def _save_image(out_dir: Path, source: Path, image: Any, used: set[str]) -> None:
    import os

    from PIL import Image

    name = source.stem + (
        source.suffix.lower() if source.suffix.lower() in (".jpg", ".jpeg", ".png") else ".png"
    )
    stem, suffix, k = Path(name).stem, Path(name).suffix, 1
    while name in used:
        name, k = f"{stem}_{k}{suffix}", k + 1
    used.add(name)
    tmp = out_dir / f".{name}.part{suffix}"
    try:
        options = {"quality": 92} if suffix in (".jpg", ".jpeg") else {}
        Image.fromarray(image).save(tmp, **options)
        os.replace(tmp, out_dir / name)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class _VideoSink:
    """Annotated frames of one video at a time, written to ``DIR/<stem>.mp4`` in H.264 (atomically:
    the file appears once the video is complete)."""

    def __init__(self, out_dir: Path, every: int, fps: float | None = None) -> None:
        self.out_dir = out_dir
        self.every = every
        self.fps = fps
        self.path: Path | None = None
        self.writer: Any = None

    def write(self, path: Path, frame: Any) -> None:
        from foveal.io.video import VideoWriter, video_info, video_step

        if path != self.path:
            self.close()
            self.path = path
            fps, _ = video_info(path)
            step = video_step(path, stride=self.every, fps=self.fps)
            self.writer = VideoWriter(self.out_dir / f"{path.stem}.mp4", fps / step)
        self.writer.write(frame)

    def close(self, *, keep: bool = True) -> None:
        if self.writer is not None:
            self.writer.close(keep=keep)
        self.path = self.writer = None


def run(args: argparse.Namespace) -> int:
    from foveal.cli.media import check_frame_options, media_total
    from foveal.cli.output import (
        check_writable_dir,
        progress,
        report_bad,
        require_inputs,
        stderr_is_terminal,
        use_runtime_options,
    )
    from foveal.io import BatchReport, expand_sources, is_video_file
    from foveal.io.video import check_h264
    from foveal.viz import annotate

    check_frame_options(args)
    use_runtime_options(args)
    out_dir = check_writable_dir(args.save, option="--save") if args.save else None
    files = expand_sources(args.inputs, media=True)
    require_inputs(files, args.inputs, "images or videos")
    if out_dir is not None and any(is_video_file(f) for f in files):
        check_h264(out_dir)
    det = detector_from_args(args)
    # thresholds and class names are checked (and names resolved) before any input is read
    opts = det.options(conf=args.conf, iou=args.iou, classes=args.classes, max_det=args.max_det)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    sink = _VideoSink(out_dir, args.every, args.fps) if out_dir is not None else None
    report = BatchReport()
    used: set[str] = set()
    stream = det.predict_batch(
        args.inputs,
        report=report,
        every=args.every,
        fps=args.fps,
        conf=opts.conf,
        iou=opts.iou,
        classes=opts.classes,
        max_det=opts.max_det,
    )
    ok = False
    shown = not args.no_progress and stderr_is_terminal()
    total, unit = media_total(files, args.every, args.fps) if shown else (None, "img")
    try:
        for item, result in progress(
            stream, total=total, desc="detect", unit=unit, enabled=not args.no_progress
        ):
            video = item.path is not None and is_video_file(item.path)
            if video:
                _print(str(item.path), result, as_json=args.json, frame=item.index)
            else:
                _print(item.name, result, as_json=args.json)
            if out_dir is not None and sink is not None:
                image = annotate(item.load(), result)
                if video:
                    sink.write(item.path, image)
                else:
                    _save_image(out_dir, Path(item.path or item.name), image, used)
        ok = True
    finally:
        if sink is not None:
            sink.close(keep=ok)
    report_bad(report, as_json=args.json)
    return 1 if report.bad else 0


def detector_from_args(args: argparse.Namespace) -> Any:
    """The shared detector of ``--model``, ``--backend``, ``--threads``, ``--precision`` and
    ``--calibrate`` (``detect`` and ``track``)."""
    from foveal.tasks import get_task

    return get_task("detect").load(
        model=args.model,
        backend=args.backend,
        threads=args.threads,
        precision=args.precision,
        calibrate=args.calibrate,
    )
