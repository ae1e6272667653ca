"""The seam between sequence models and hand / pose landmarks (``foveal.landmarks``: MediaPipe's
hand and pose networks, run by foveal).

* :func:`landmark_features` — per-frame landmark vectors for clip features ``hands``, ``pose``,
  ``holistic``;
* :func:`hand_points` — the 21 hand points of each frame of a stream (pixels, NaN where no hand),
  for ``foveal gestures``; hands are followed from frame to frame, as MediaPipe's video mode does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from foveal.errors import ConfigError
from foveal.tasks.table import get_task

PARTS = ("hands", "pose", "holistic")


def _tracker(parts: str, **options: object):
    return get_task("landmarks").load().tracker(parts=parts, **options)


def landmark_features(frames: Sequence[np.ndarray], parts: str) -> np.ndarray:
    """``(T, D)`` float32 landmark vectors of RGB ``frames`` for ``parts`` (``hands``: 2 x 21 x
    (x, y) relative to each hand's wrist, divided by the frame size; ``pose``: 33 x (x, y)
    divided by the frame size; ``holistic``: both), zeros where a part is not found.

    >>> import numpy as np
    >>> landmark_features([np.zeros((64, 64, 3), np.uint8)] * 2, "hands").shape
    (2, 84)
    """
    if parts not in PARTS:
        raise ConfigError(
            f"unknown landmark features {parts!r}; expected one of {', '.join(PARTS)}"
        )
    want = {"hands": "hands", "pose": "pose", "holistic": "hands,pose"}[parts]
    tracker = _tracker(want, max_hands=2)
    rows = []
    for frame in frames:
        h, w = frame.shape[:2]
        scale = np.array([w, h], np.float32)
        found = tracker.update(frame)
        vec = []
        if parts in ("hands", "holistic"):
            hands = np.zeros((2, 21, 2), np.float32)
            for i, pts in enumerate(found.hands[:2]):
                hands[i] = (pts[:, :2] - pts[0, :2]) / scale
            vec.append(hands.ravel())
        if parts in ("pose", "holistic"):
            pose = np.zeros((33, 2), np.float32)
            if len(found.poses):
                pose = found.poses[0][:, :2] / scale
            vec.append(pose.ravel())
        rows.append(np.concatenate(vec))
    return np.stack(rows).astype(np.float32) if rows else np.zeros((0, 0), np.float32)


def hand_points(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """For each RGB frame, in order: ``(21, 2)`` pixel coordinates of the first hand (MediaPipe
    order: 0 wrist, 8 index fingertip), NaN where no hand is found.

    >>> import numpy as np
    >>> next(hand_points([np.zeros((64, 64, 3), np.uint8)])).shape
    (21, 2)
    """
    tracker = _tracker("hands", max_hands=1)
    for frame in frames:
        hands = tracker.update(frame).hands
        yield hands[0, :, :2].copy() if len(hands) else np.full((21, 2), np.nan, np.float32)
