"""foveal detect IMAGE|DIR|GLOB|VIDEO ... — object detection (COCO classes, or your own trained model)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "detect",
        help="detect objects (boxes + classes) in images, folders or videos",
        description=(
            "Detect objects in images, folders, glob patterns or video files (.mp4, .avi, ...). "
            "Unreadable files are reported and skipped."
        ),
        epilog="example: foveal detect street.jpg clips/walk.mp4 --classes person,car --save annotated/ --json",
    )
    p.add_argument("inputs", nargs="+", help="image files, folders, glob patterns or video files")
    p.add_argument("--model", default="yolox_nano.coco", help="zoo name, .onnx file or training run folder")
    p.add_argument("--conf", type=float, default=0.25, help="minimum score (default 0.25)")
    p.add_argument("--iou", type=float, default=0.45, help="NMS IoU threshold (default 0.45)")
    p.add_argument("--classes", help="comma-separated class names to keep, e.g. person,car")
    p.add_argument("--max-det", type=int, default=300, help="at most this many boxes per image")
    p.add_argument("--save", metavar="DIR", help="write annotated copies (images; .mp4 for videos) into DIR")
    p.add_argument("--every", type=int, default=1, help="videos: process every N-th frame (default 1)")
    p.add_argument("--json", action="store_true", help="one JSON object per image / video frame (JSON lines)")
    p.add_argument("--backend", choices=("onnx", "torch"), default="onnx")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
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

    name = source.stem + (source.suffix.lower() if source.suffix.lower() in (".jpg", ".jpeg", ".png") else ".png")
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


def _run_video(det: Any, path: Path, args: argparse.Namespace, out_dir: Path | None) -> int:
    import os

    from foveal.viz import annotate

    writer = None
    tmp = None
    frames = 0
    try:
        for index, frame, result in det.predict_video(
            path, conf=args.conf, iou=args.iou, classes=args.classes, max_det=args.max_det, every=args.every
        ):
            frames += 1
            _print(str(path), result, as_json=args.json, frame=index)
            if out_dir is not None:
                import cv2

                if writer is None:
                    fps = (cv2.VideoCapture(str(path)).get(cv2.CAP_PROP_FPS) or 25.0) / args.every
                    tmp = out_dir / f".{path.stem}.part.mp4"
                    h, w = frame.shape[:2]
                    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
                writer.write(cv2.cvtColor(annotate(frame, result), cv2.COLOR_RGB2BGR))
    finally:
        if writer is not None:
            writer.release()
    if tmp is not None and out_dir is not None:
        os.replace(tmp, out_dir / f"{path.stem}.mp4")
    return frames


def run(args: argparse.Namespace) -> int:
    from foveal.cli.output import progress, report_bad
    from foveal.errors import ConfigError, FovealError
    from foveal.io import BatchReport, expand_sources, load_image
    from foveal.tasks.detection import Detector, check_thresholds, is_video_file

    check_thresholds(args.conf, args.iou, args.max_det)
    if args.every < 1:
        raise ConfigError(f"--every must be at least 1, got {args.every}")
    videos = [Path(i) for i in args.inputs if is_video_file(i) and Path(i).is_file()]
    others = [i for i in args.inputs if not (is_video_file(i) and Path(i).is_file())]
    files = expand_sources(others) if others else []
    det = Detector(args.model, backend=args.backend)
    classes = det.class_ids(args.classes)  # fail early on unknown names
    args.classes = classes
    out_dir = Path(args.save) if args.save else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    report = BatchReport()
    used: set[str] = set()
    stream = det.predict_batch(files, conf=args.conf, iou=args.iou, classes=classes, max_det=args.max_det, report=report)
    for src, result in progress(stream, total=len(files), desc="detect", enabled=not args.no_progress and bool(files)):
        _print(str(src), result, as_json=args.json)
        if out_dir is not None:
            from foveal.viz import annotate

            _save_image(out_dir, Path(src), annotate(load_image(src), result), used)
    for video in videos:
        try:
            _run_video(det, video, args, out_dir)
            report.ok += 1
        except FovealError as exc:
            report.add_bad(video, exc)
    report_bad(report, as_json=args.json)
    return 1 if report.bad else 0
