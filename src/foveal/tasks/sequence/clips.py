"""Clips as sequences: ``steps`` frames sampled evenly over each clip, one feature vector per
frame (pooled CNN features from a zoo backbone, or landmark vectors)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from foveal.errors import ConfigError, FovealError
from foveal.tasks.sequence.data import SequenceDataError, SequenceSet
from foveal.tasks.sequence.landmark_bridge import landmark_features

FEATURES = ("cnn", "hands", "pose", "holistic")


def even_indices(count: int, steps: int) -> np.ndarray:
    """``steps`` frame indices spread evenly over ``count`` frames (first and last included).

    >>> even_indices(10, 4).tolist()
    [0, 3, 6, 9]
    """
    return np.linspace(0, count - 1, steps).round().astype(np.int64)


def clip_frames(path: str | os.PathLike, steps: int) -> list[np.ndarray]:
    """``steps`` RGB frames sampled evenly from the clip (decoded twice: count, then pick; only the
    chosen frames are kept).

    Raises:
        SequenceDataError: the clip has fewer frames than ``steps``.
        ImageError: the file is not a readable video.
    """
    from foveal.io.video import iter_video

    count = sum(1 for _ in iter_video(path))
    if count < steps:
        raise SequenceDataError(
            f"{path}: {count} frame(s), shorter than the window of {steps}; use a longer clip or "
            "a smaller --frames"
        )
    wanted = set(even_indices(count, steps).tolist())
    frames = [f for i, f in iter_video(path) if i in wanted]
    return frames[:steps]


def frame_features(
    frames: list[np.ndarray], features: str, *, backbone: str = "mobilenet_v2.imagenet"
) -> np.ndarray:
    """``(T, D)`` float32: L2-normalised pooled CNN features of ``backbone`` (``cnn``) or landmark
    vectors (``hands``, ``pose``, ``holistic``; see :mod:`foveal.tasks.sequence.landmark_bridge`).
    """
    if features not in FEATURES:
        raise ConfigError(f"--features {features!r}: choose one of {', '.join(FEATURES)}")
    if features != "cnn":
        return np.asarray(landmark_features(frames, features), np.float32)
    from foveal.tasks import get_task

    vecs = get_task("classify").load(model=backbone).embed(list(frames)).astype(np.float32)
    return vecs / np.maximum(np.linalg.norm(vecs, axis=-1, keepdims=True), 1e-12)


def clip_sequence(
    path: str | os.PathLike, features: str, *, frames: int, backbone: str = "mobilenet_v2.imagenet"
) -> np.ndarray:
    """One clip as a ``(frames, D)`` sequence."""
    return frame_features(clip_frames(path, frames), features, backbone=backbone)


def list_clips(root: Path) -> list[tuple[Path, str]]:
    """``(clip, class)`` for every video in ``root/<class>/``, classes and clips in name order."""
    from foveal.io.video import is_video_file

    out = []
    for cls in sorted(p for p in root.iterdir() if p.is_dir()):
        out += [(c, cls.name) for c in sorted(cls.iterdir()) if c.is_file() and is_video_file(c)]
    return out


def clip_set(
    root: Path, features: str, *, frames: int, backbone: str = "mobilenet_v2.imagenet"
) -> SequenceSet:
    """Every clip of ``root/<class>/*.mp4`` as a sequence; clips that are too short or unreadable
    are skipped with one line each.

    Raises:
        SequenceDataError: no clip could be used.
    """
    if features not in FEATURES:
        raise ConfigError(f"--features {features!r}: choose one of {', '.join(FEATURES)}")
    clips = list_clips(root)
    if not clips:
        raise SequenceDataError(f"{root} holds no clip; lay clips out as {root}/<class>/clip.mp4")
    classes = sorted({c for _, c in clips})
    xs, ys, problems = [], [], []
    for path, cls in clips:
        try:
            xs.append(clip_sequence(path, features, frames=frames, backbone=backbone))
        except (FovealError, OSError) as exc:
            problems.append(str(exc))
            continue
        ys.append(classes.index(cls))
    if not xs:
        raise SequenceDataError(f"{root}: no usable clip ({problems[0]})")
    return SequenceSet(
        np.stack(xs).astype(np.float32),
        np.asarray(ys, np.int64),
        classes,
        problems,
        features=features,
        backbone=backbone if features == "cnn" else None,
    )
