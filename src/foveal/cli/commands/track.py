"""foveal track VIDEO ... — detect and track objects: stable IDs across frames, JSON lines,
MOTChallenge text, annotated H.264 video with trails, line counting."""

from __future__ import annotations

import argparse
import os
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from foveal.cli.output import add_precision_options, add_runtime_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "track",
        help="track objects through videos: IDs, JSON lines, MOT text, annotated video, counts",
        description=(
            "Detect objects in every frame of videos (files, folders, globs; the images of one "
            "folder are one sequence, in name order) and link them into tracks with stable IDs "
            "(ByteTrack: Kalman filter, two-stage association). Unreadable videos are reported "
            "and skipped."
        ),
        epilog=(
            "example: foveal track walk.mp4 --classes person --line 0,300,768,300 "
            "--out walk-tracked.mp4 --mot walk.txt --json > walk.jsonl"
        ),
    )
    p.add_argument("inputs", nargs="+", help="video files, folders or glob patterns")
    p.add_argument(
        "--model", default="yolox_nano.coco", help="detector: zoo name, .onnx file or run folder"
    )
    p.add_argument("--classes", help="comma-separated class names to track, e.g. person,car")
    p.add_argument(
        "--conf",
        type=float,
        help="minimum detection score (default: --low-conf, as the tracker uses low scores)",
    )
    p.add_argument("--iou", type=float, default=0.45, help="detector NMS IoU (default 0.45)")
    p.add_argument("--stride", type=int, default=1, help="process every N-th frame (default 1)")
    p.add_argument("--fps", type=float, help="target frame rate instead of --stride, e.g. 10")
    t = p.add_argument_group("tracker (ByteTrack)")
    t.add_argument("--high-conf", type=float, default=0.5, help="stage-1 score (default 0.5)")
    t.add_argument(
        "--low-conf", type=float, default=0.1, help="stage-2 minimum score (default 0.1)"
    )
    t.add_argument(
        "--new-track-conf", type=float, default=0.6, help="score to start a track (default 0.6)"
    )
    t.add_argument(
        "--min-hits", type=int, default=2, help="frames before a track gets an ID (default 2)"
    )
    t.add_argument(
        "--max-age", type=int, default=30, help="frames a lost track is kept (default 30)"
    )
    t.add_argument("--match-iou", type=float, default=0.2, help="stage-1 minimum IoU (0.2)")
    t.add_argument("--trail", type=int, default=30, help="trail length in frames (default 30)")
    p.add_argument("--json", action="store_true", help="one JSON object per frame (JSON lines)")
    p.add_argument("--mot", metavar="FILE", help="write MOTChallenge text (one video only)")
    p.add_argument(
        "--out",
        metavar="FILE.mp4|DIR",
        help="annotated H.264 video with trails: a .mp4 file (one video) or a folder",
    )
    p.add_argument(
        "--line", metavar="X1,Y1,X2,Y2", help="count tracks crossing this line, per class, in/out"
    )
    p.add_argument("--backend", choices=("onnx", "torch"), default="onnx")
    add_runtime_options(p)
    add_precision_options(p)
    p.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (shown on terminals)"
    )
    p.set_defaults(func=run)


@dataclass
class _Sequence:
    """What is kept for the video being tracked: counter, writer, MOT lines, track lengths."""

    key: str
    counter: Any = None
    writer: Any = None
    lengths: dict[int, int] = field(default_factory=dict)
    frames: int = 0

    def summary(self) -> dict[str, Any]:
        n = len(self.lengths)
        mean = sum(self.lengths.values()) / n if n else 0.0
        out: dict[str, Any] = {
            "frames": self.frames,
            "tracks": n,
            "mean_track_length": round(mean, 2),
        }
        if self.counter is not None:
            out.update(self.counter.to_dict())
        return out


def _draw_line(image: Any, line: tuple[float, float, float, float]) -> Any:
    import cv2

    x1, y1, x2, y2 = (round(v) for v in line)
    cv2.line(image, (x1, y1), (x2, y2), (255, 255, 0), max(2, image.shape[1] // 400))
    return image


def _counts_text(counts: dict[str, dict[str, int]]) -> str:
    return (
        ", ".join(f"{k} in {v['in']} out {v['out']}" for k, v in sorted(counts.items())) or "none"
    )


def _sequences(files: list[Path]) -> set[str]:
    from foveal.io import is_video_file

    return {os.fspath(f if is_video_file(f) else f.parent) for f in files}


def _finish(seq: _Sequence | None, *, as_json: bool, keep: bool) -> None:
    from foveal.cli.output import write_jsonl

    if seq is None:
        return
    if seq.writer is not None:
        seq.writer.close(keep=keep)
    if not keep:
        return
    s = seq.summary()
    if as_json:
        write_jsonl({"source": seq.key, "summary": s})
    else:
        line = (
            f"{seq.key}: {s['frames']} frame(s), {s['tracks']} track(s), "
            f"mean length {s['mean_track_length']} frames"
        )
        if seq.counter is not None:
            line += f"; line counts: {_counts_text(seq.counter.counts)}"
        print(line, flush=True)


def run(args: argparse.Namespace) -> int:
    from foveal.cli.commands.detect import detector_from_args
    from foveal.cli.output import (
        check_writable_dir,
        check_writable_file,
        progress,
        report_bad,
        require_inputs,
        stderr_is_terminal,
        use_runtime_options,
        write_jsonl,
    )
    from foveal.errors import ConfigError
    from foveal.io import BatchReport, expand_sources, is_video_file
    from foveal.io.video import VideoWriter, check_h264, video_info, video_step
    from foveal.tracking import LineCounter, TrackOptions, mot_lines, parse_line
    from foveal.tracking.run import iter_tracks, sequence_key
    from foveal.utils.files import atomic_path
    from foveal.viz import annotate

    options = TrackOptions(
        high_conf=args.high_conf,
        low_conf=args.low_conf,
        new_track_conf=args.new_track_conf,
        min_hits=args.min_hits,
        max_age=args.max_age,
        match_iou=args.match_iou,
        trail=args.trail,
    )
    line = parse_line(args.line) if args.line else None
    use_runtime_options(args)
    files = expand_sources(args.inputs, media=True)
    require_inputs(files, args.inputs, "videos or frames")
    steps = {f: video_step(f, stride=args.stride, fps=args.fps) for f in files if is_video_file(f)}
    several = len(_sequences(files)) > 1
    mot_path = check_writable_file(args.mot, option="--mot") if args.mot else None
    if mot_path is not None and several:
        raise ConfigError(f"--mot {args.mot} takes one video; got {len(_sequences(files))}")
    out_file = out_dir = None
    if args.out:
        if args.out.lower().endswith(".mp4"):
            if several:
                raise ConfigError(
                    f"--out {args.out} is one file but {len(_sequences(files))} videos were given; "
                    "give a folder to --out"
                )
            out_file = check_writable_file(args.out, option="--out")
        else:
            out_dir = check_writable_dir(args.out, option="--out")
        check_h264(args.out)
    det = detector_from_args(args)
    report = BatchReport()
    frames = iter_tracks(
        det,
        [os.fspath(f) for f in files],
        options=options,
        stride=args.stride,
        fps=args.fps,
        report=report,
        conf=args.conf,
        iou=args.iou,
        classes=args.classes,
    )
    total = None
    if not args.no_progress and stderr_is_terminal():
        counts = [video_info(f)[1] for f in files if is_video_file(f)]
        if all(counts):
            total = sum(-(-c // steps[f]) for c, f in zip(counts, steps, strict=True))
            total += sum(1 for f in files if not is_video_file(f))
    seq: _Sequence | None = None
    ok = False
    with ExitStack() as stack:  # the MOT file appears (atomically) only after a complete run
        mot = None
        try:
            bar = progress(
                frames, total=total, desc="track", unit="frame", enabled=not args.no_progress
            )
            for item, tracks in bar:
                key = sequence_key(item)
                if seq is None or key != seq.key:
                    _finish(seq, as_json=args.json, keep=True)
                    seq = _Sequence(key, LineCounter(line) if line else None)
                    if out_file or out_dir:
                        video = item.path if item.path and is_video_file(item.path) else None
                        fps = video_info(video)[0] / steps[video] if video else 10.0
                        dest = out_file or Path(out_dir) / f"{Path(key).stem}.mp4"  # type: ignore[arg-type]
                        Path(dest).parent.mkdir(parents=True, exist_ok=True)
                        seq.writer = VideoWriter(dest, fps)
                seq.frames += 1
                for tid in tracks.track_ids.tolist():
                    seq.lengths[tid] = seq.lengths.get(tid, 0) + 1
                if seq.counter is not None:
                    seq.counter.update(tracks)
                frame_no = (item.index if item.index is not None else seq.frames - 1) + 1
                if mot is None and mot_path is not None:  # opened at the first frame read
                    mot = stack.enter_context(open(stack.enter_context(atomic_path(mot_path)), "w"))
                if mot is not None:
                    for text in mot_lines(frame_no, tracks):
                        mot.write(text + "\n")
                if args.json:
                    rec = {"source": tracks.source, "frame": frame_no - 1, **tracks.to_dict()}
                    rec.pop("index", None)
                    if seq.counter is not None:
                        rec["counts"] = seq.counter.counts
                    write_jsonl(rec)
                if seq.writer is not None:
                    image = annotate(item.load(), tracks)
                    seq.writer.write(_draw_line(image, line) if line else image)
            ok = True
        finally:
            _finish(seq, as_json=args.json, keep=ok)
    report_bad(report, as_json=args.json)
    return 1 if report.bad else 0
