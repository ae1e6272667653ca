"""Draw detection boxes and labels with OpenCV."""

from __future__ import annotations

from typing import Any

import numpy as np

from foveal.io import load_image
from foveal.results import Detections


def class_color(class_id: int) -> tuple[int, int, int]:
    """A stable, distinct RGB colour per class id (golden-ratio hue steps)."""
    import colorsys

    hue = (int(class_id) * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.95)
    return int(r * 255), int(g * 255), int(b * 255)


def draw_detections(
    image: Any,
    detections: Detections,
    *,
    thickness: int | None = None,
    font_scale: float | None = None,
    show_scores: bool = True,
) -> np.ndarray:
    """RGB copy of ``image`` with one coloured box and a ``name 0.87`` label per detection.

    Line width and text size scale with the image (override with ``thickness``/``font_scale``).
    """
    import cv2

    canvas = load_image(image).copy()
    h, w = canvas.shape[:2]
    t = thickness or max(1, round(max(h, w) / 400))
    fs = font_scale or max(0.4, max(h, w) / 1200)
    for box, score, cid, name in zip(
        detections.xyxy, detections.scores, detections.class_ids, detections.names, strict=True
    ):
        color = class_color(int(cid))
        x1, y1, x2, y2 = (int(round(float(v))) for v in box)
        cv2.rectangle(canvas, (x1, y1), (x2, y2), color, t, lineType=cv2.LINE_AA)
        label = f"{name} {score:.2f}" if show_scores else name
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, fs, max(1, t // 2))
        ty = y1 - 2 if y1 - th - base - 2 >= 0 else min(h - 1, y1 + th + base + 2)
        cv2.rectangle(canvas, (x1, ty - th - base), (x1 + tw + 2, ty), color, -1)
        luminance = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]
        text_color = (0, 0, 0) if luminance > 140 else (255, 255, 255)
        cv2.putText(
            canvas,
            label,
            (x1 + 1, ty - base),
            cv2.FONT_HERSHEY_SIMPLEX,
            fs,
            text_color,
            max(1, t // 2),
            cv2.LINE_AA,
        )
    return canvas
