"""Detect and track over videos (or folders of frames): one tracker per sequence.

>>> import os
>>> import foveal
>>> from PIL import Image
>>> os.makedirs("frames")
>>> cup = np.asarray(Image.open("coffee.png"))
>>> for i in range(3):                        # the scene moves 8 pixels right per frame
...     Image.fromarray(np.roll(cup, 8 * i, axis=1)).save(f"frames/{i}.png")
>>> for tracks in foveal.track("frames/"):    # a folder of frames is one sequence
...     print(tracks.source, tracks.names, tracks.track_ids.tolist())
frames/0.png ['cup', 'dining table'] [1, 2]
frames/1.png ['cup', 'dining table'] [1, 2]
frames/2.png ['cup', 'dining table'] [1, 2]

A video (one :class:`~foveal.results.Tracks` per frame)::

    tracks = list(foveal.track("clip.mp4"))
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from foveal.io import BatchReport, Item, expand_sources, is_video_file
from foveal.io.video import video_step
from foveal.results import Tracks
from foveal.tracking.bytetrack import ByteTracker, TrackOptions


def sequence_key(item: Item) -> str:
    """Which sequence a frame belongs to: its video, or the folder of an image frame."""
    if item.path is None:
        return "<arrays>"
    if is_video_file(item.path):
        return os.fspath(item.path)
    return os.fspath(item.path.parent)


def iter_tracks(
    detector: Any,
    inputs: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    options: TrackOptions | None = None,
    stride: int = 1,
    fps: float | None = None,
    report: BatchReport | None = None,
    **detect_options: Any,
) -> Iterator[tuple[Item, Tracks]]:
    """Yield ``(item, tracks)`` per processed frame of every video in ``inputs`` (files, folders,
    globs; the images of one folder form one sequence, in name order).

    Args:
        detector: a detection predictor (``foveal.tasks.get_task("detect").load(...)``).
        options: the tracker's :class:`TrackOptions` (a fresh tracker per sequence).
        stride: process every ``stride``-th frame; or ``fps``: a target rate (per video).
        report: where unreadable inputs go (they raise without one).
        detect_options: the detector's call options (``conf``, ``classes`` ...); ``conf``
            defaults to the tracker's ``low_conf`` so that stage 2 sees low-score boxes.
    """
    opts = options or TrackOptions()
    if detect_options.get("conf") is None:
        detect_options["conf"] = opts.low_conf
    detect_options = {k: v for k, v in detect_options.items() if v is not None}
    detector.options(**detect_options)  # bad options fail here, before any frame
    paths = expand_sources(inputs, media=True)  # so do missing inputs (without a report)
    steps = [video_step(p, stride=stride, fps=fps) if is_video_file(p) else 1 for p in paths]
    return _frames(detector, paths, steps, opts, report, detect_options)


def _frames(
    detector: Any,
    paths: list[Path],
    steps: list[int],
    opts: TrackOptions,
    report: BatchReport | None,
    detect_options: dict[str, Any],
) -> Iterator[tuple[Item, Tracks]]:
    key: str | None = None
    tracker = ByteTracker(opts)
    for path, step in zip(paths, steps, strict=True):
        frames = detector.predict_batch([path], report=report, every=step, **detect_options)
        for item, dets in frames:
            new_key = sequence_key(item)
            if new_key != key:
                key, tracker = new_key, ByteTracker(opts)
            tracks = tracker.update(dets)
            tracks.source = os.fspath(item.path) if item.path is not None else item.name
            tracks.index = item.index
            yield item, tracks
