"""foveal gestures VIDEO --model RUN — hand gestures over a sliding window of hand landmarks."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import TYPE_CHECKING

from foveal.cli.output import add_runtime_options, use_runtime_options

if TYPE_CHECKING:
    import numpy as np


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "gestures",
        help="recognise hand gestures in a video with a model from 'foveal train sequence'",
        description="Track the index fingertip with foveal's hand landmarks, classify the last "
        "T frames (the model's window) at every frame, print one line per frame and, with "
        "--out, write the video with the fingertip trail and the gesture drawn on it (H.264 "
        "MP4). The model is one trained on point-history rows (16 steps x 2, e.g. the shared "
        "gestures/point_history.csv).",
        epilog="example: foveal gestures hand.mp4 --model runs/sequence/1 --out gestures.mp4",
    )
    p.add_argument("video", help="a video file")
    p.add_argument("--model", required=True, help="run folder or model.onnx (2 numbers per step)")
    p.add_argument("--out", help="annotated video to write (.mp4)")
    p.add_argument("--json", action="store_true", help="one JSON object per frame")
    add_runtime_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys
    from collections import deque

    from foveal.cli.output import check_writable_file, write_jsonl
    from foveal.errors import ConfigError
    from foveal.io.video import VideoWriter, iter_video, video_info
    from foveal.tasks.sequence.gestures import INDEX_TIP, draw_gesture
    from foveal.tasks.sequence.landmark_bridge import hand_points
    from foveal.tasks.sequence.predict import SequenceModel

    use_runtime_options(args)
    model = SequenceModel(args.model)
    if model.step_dims != 2 or model.features != "csv":
        raise ConfigError(
            f"{model.meta.name} takes {model.step_dims} numbers per step ({model.features}); "
            "gestures need a model trained on fingertip rows (--step-dims 2)"
        )
    if args.out:
        check_writable_file(args.out, option="--out")
    fps, _ = video_info(args.video)
    frames: deque = deque(maxlen=2)  # the frame whose hand is being classified, nothing more
    first = next(iter_video(args.video))[1]
    size = (first.shape[1], first.shape[0])

    def stream() -> Iterator[np.ndarray]:
        for _, frame in iter_video(args.video):
            frames.append(frame)
            yield frame

    hands = hand_points(stream())
    trail: deque = deque(maxlen=model.steps)
    writer = VideoWriter(args.out, fps) if args.out else None
    count = 0
    try:
        for pts, g in _with_points(hands, model, size):
            count += 1
            trail.append(pts[INDEX_TIP])
            if args.json:
                write_jsonl(g.to_dict())
            elif g.label is not None:
                print(f"frame {g.index}  {g.label}  {g.score:.3f}")
            if writer is not None:
                writer.write(draw_gesture(frames[-1], g, trail))
    except BaseException:
        if writer is not None:
            writer.close(keep=False)
        raise
    if writer is not None:
        writer.close()
        print(f"wrote {args.out}")
    if count < model.steps:
        print(
            f"foveal: {args.video} has {count} frame(s), shorter than the window of "
            f"{model.steps}: no gesture recognised",
            file=sys.stderr,
        )
        return 1
    return 0


def _with_points(hands: Iterator[np.ndarray], model: object, size: tuple[int, int]) -> Iterator:
    """Pairs ``(points, GestureFrame)``: the points are kept to draw the trail."""
    import numpy as np

    from foveal.tasks.sequence.gestures import recognise

    seen: list[np.ndarray] = []

    def remember() -> Iterator[np.ndarray]:
        for pts in hands:
            seen.append(np.asarray(pts, np.float64).reshape(-1, 2))
            yield seen[-1]

    for g in recognise(model, remember(), size):
        yield seen.pop(), g
