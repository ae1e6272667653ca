"""Gestures on video: a sliding window over the index fingertip, encoded as the point-history
rows that ``gestures/point_history.csv`` holds, classified by a trained sequence model.

A window of T frames becomes T (x, y) steps: the fingertip's pixel position (a frame without a
hand counts as the image origin, as the recorder of those rows writes it), minus the window's
first position, divided by the image width and height.

>>> import numpy as np
>>> tips = np.array([[10.0, 20.0], [20.0, 20.0], [np.nan, np.nan]])
>>> fingertip_window(tips, (100, 50)).tolist()
[[0.0, 0.0], [0.10000000149011612, 0.0], [-0.10000000149011612, -0.4000000059604645]]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

INDEX_TIP = 8


def fingertip_window(tips: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(T, 2)`` float32 steps of ``(T, 2)`` fingertip pixels (NaN = no hand) in an image of
    ``size`` ``(width, height)``."""
    pts = np.nan_to_num(np.asarray(tips, np.float64), nan=0.0)
    rel = (pts - pts[0]) / np.asarray(size, np.float64)
    return rel.astype(np.float32)


@dataclass(frozen=True)
class GestureFrame:
    """The gesture at one frame: ``label`` is ``None`` until the window is full."""

    index: int
    label: str | None
    class_id: int | None
    score: float | None
    hand: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "frame": self.index,
            "hand": self.hand,
            "class_id": self.class_id,
            "label": self.label,
            "score": None if self.score is None else round(self.score, 6),
        }


def recognise(
    model: object, hands: Iterable[np.ndarray], size: tuple[int, int]
) -> Iterator[GestureFrame]:
    """One :class:`GestureFrame` per frame of ``hands`` (``(21, 2)`` points per frame, NaN where
    none), classified over the last ``model.steps`` frames; memory stays one window."""
    steps = int(model.steps)  # type: ignore[attr-defined]
    window: deque[np.ndarray] = deque(maxlen=steps)
    for i, pts in enumerate(hands):
        tip = np.asarray(pts, np.float64).reshape(-1, 2)[INDEX_TIP]
        window.append(tip)
        hand = bool(np.isfinite(tip).all())
        if len(window) < steps:
            yield GestureFrame(i, None, None, None, hand)
            continue
        x = fingertip_window(np.stack(window), size)[None]
        probs = model.probabilities(x)[0]  # type: ignore[attr-defined]
        cid = int(probs.argmax())
        label = model.classes[cid]  # type: ignore[attr-defined]
        yield GestureFrame(i, label, cid, float(probs[cid]), hand)


def draw_gesture(frame: np.ndarray, g: GestureFrame, tips: Iterable[np.ndarray]) -> np.ndarray:
    """A copy of the RGB frame with the fingertip trail and the gesture label drawn on it."""
    import cv2

    out = np.ascontiguousarray(frame).copy()
    pts = [p for p in tips if np.isfinite(p).all()]
    for a, b in zip(pts, pts[1:], strict=False):
        cv2.line(out, tuple(int(v) for v in a), tuple(int(v) for v in b), (0, 255, 0), 2)
    text = "..." if g.label is None else f"{g.label} {g.score:.2f}"
    scale = max(out.shape[1] / 900.0, 0.5)
    cv2.putText(out, text, (12, int(40 * scale)), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 5)
    cv2.putText(
        out, text, (12, int(40 * scale)), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 2
    )
    return out
