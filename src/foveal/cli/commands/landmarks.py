"""foveal landmarks IMAGE|DIR|GLOB|VIDEO ... — hand, body-pose and face-mesh landmarks
(MediaPipe's networks); in videos, regions are followed from frame to frame."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from foveal.cli.output import add_runtime_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "landmarks",
        help="hand (21), body-pose (33) and face-mesh (468) landmarks in images or videos",
        description=(
            "Find hand, body-pose and face-mesh landmarks with MediaPipe's networks in images, "
            "folders, glob patterns or videos. In videos, each region's points give the region "
            "of the next frame (as MediaPipe tracks); the detectors run only while fewer "
            "regions than the maximum are followed. Nobody in an image is an empty result. "
            "Unreadable files are reported and skipped."
        ),
        epilog="example: foveal landmarks photo.jpg clip.mp4 --parts hands,face --json --out out/",
    )
    p.add_argument("inputs", nargs="+", help="image files, folders, glob patterns or video files")
    p.add_argument(
        "--parts",
        default="hands,pose,face",
        help="comma-separated parts: hands, pose, face (default all three)",
    )
    p.add_argument("--min-detection", type=float, default=0.5, help="detector score (0.5)")
    p.add_argument("--min-presence", type=float, default=0.5, help="landmark presence (0.5)")
    p.add_argument("--max-hands", type=int, default=2, help="at most this many hands (2)")
    p.add_argument("--max-faces", type=int, default=1, help="at most this many faces (1)")
    p.add_argument(
        "--every", type=int, default=1, help="videos: process every N-th frame (default 1)"
    )
    p.add_argument(
        "--no-track",
        action="store_true",
        help="videos: detect in every frame instead of following regions from frame to frame",
    )
    p.add_argument(
        "--json", action="store_true", help="one JSON object per image / video frame (JSON lines)"
    )
    p.add_argument(
        "--out", metavar="DIR", help="write annotated copies (images; .mp4 for videos) into DIR"
    )
    add_runtime_options(p)
    p.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (shown on terminals)"
    )
    p.set_defaults(func=run)


def describe(result: Any) -> str:
    """``2 hand(s) (Left, Right), 1 pose, 1 face`` for the text output."""
    counts = [
        f"{len(result.hands)} hand(s)"
        + (f" ({', '.join(h for h in result.handedness if h)})" if len(result.hands) else ""),
        f"{len(result.poses)} pose",
        f"{len(result.faces)} face(s)",
    ]
    return ", ".join(counts)


def _runs(files: list[Path], videos: set[Path]) -> Iterator[tuple[bool, list[Path]]]:
    """Consecutive images as one run, each video alone, in input order."""
    batch: list[Path] = []
    for f in files:
        if f in videos:
            if batch:
                yield False, batch
                batch = []
            yield True, [f]
        else:
            batch.append(f)
    if batch:
        yield False, batch


def run(args: argparse.Namespace) -> int:
    from foveal.cli.output import (
        check_writable_dir,
        progress,
        report_bad,
        require_inputs,
        use_runtime_options,
        write_jsonl,
    )
    from foveal.errors import ConfigError, FovealError
    from foveal.io import BatchReport, expand_sources, is_video_file
    from foveal.io.video import VideoWriter, check_h264, video_info
    from foveal.tasks import get_task
    from foveal.tasks.landmarks.predict import track_frames
    from foveal.viz import annotate, save_annotated

    if args.every < 1:
        raise ConfigError(f"--every must be at least 1, got {args.every}")
    if args.device == "cuda":
        raise ConfigError(
            "--device cuda: MediaPipe's landmark networks run in LiteRT on the CPU here; "
            "use --device cpu (or auto)"
        )
    args.device = None  # LiteRT runs on the CPU; ONNX Runtime's providers do not apply
    use_runtime_options(args)
    out_dir = check_writable_dir(args.out, option="--out") if args.out else None
    files = expand_sources(args.inputs, media=True)
    require_inputs(files, args.inputs, "images or videos")
    videos = {f for f in files if is_video_file(f)}
    if out_dir is not None and videos:
        check_h264(out_dir)
    predictor = get_task("landmarks").load()
    opts = predictor.options(
        parts=args.parts,
        min_detection=args.min_detection,
        min_presence=args.min_presence,
        max_hands=args.max_hands,
        max_faces=args.max_faces,
    )
    call = {k: getattr(opts, k) for k in opts.__dataclass_fields__}
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    report = BatchReport()

    def emit(name: str, result: Any, frame: int | None = None) -> None:
        if args.json:
            rec = {**result.to_dict(), "source": name}
            if frame is not None:
                rec["frame"] = frame
            write_jsonl(rec)
        else:
            where = f"{name}#{frame}" if frame is not None else name
            print(f"{where}: {describe(result)}", flush=True)

    for is_video, group in _runs(files, videos):
        if not is_video:
            stream = predictor.predict_batch([str(f) for f in group], report=report, **call)
            for item, result in progress(
                stream, total=len(group), desc="landmarks", enabled=not args.no_progress
            ):
                emit(item.name, result)
                if out_dir is not None:
                    save_annotated(out_dir / f"{Path(item.name).stem}.png", item.load(), result)
            continue
        path = group[0]
        writer = None
        ok = False
        try:
            frames = track_frames(
                predictor, path, every=args.every, track=not args.no_track, **call
            )
            total = -(-video_info(path)[1] // args.every) or None
            for frame, result in progress(
                frames, total=total, desc=path.name, unit="frame", enabled=not args.no_progress
            ):
                emit(str(path), result, result.index)
                if out_dir is not None:
                    if writer is None:
                        fps = video_info(path)[0] / args.every
                        writer = VideoWriter(out_dir / f"{path.stem}.mp4", fps)
                    writer.write(annotate(frame, result))
                report.ok += 1
            ok = True
        except FovealError as exc:
            report.add_bad(str(path), exc)
        finally:
            if writer is not None:
                writer.close(keep=ok)
    report_bad(report, as_json=args.json)
    if not args.json and report.bad:
        print(report.summary().splitlines()[0], file=sys.stderr)
    return 1 if report.bad else 0
