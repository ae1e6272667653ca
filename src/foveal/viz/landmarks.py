"""Draw landmarks: hands and bodies as skeletons (MediaPipe's connections), faces as the mesh's
points with the face outline; hands labelled with their handedness.

>>> import numpy as np
>>> from PIL import Image
>>> from foveal.results import Landmarks
>>> canvas = Image.new("RGB", (64, 64))
>>> pts = np.c_[np.linspace(5, 60, 21), np.linspace(5, 60, 21), np.zeros(21)]
>>> draw_landmarks(canvas, Landmarks(["hand"], [pts], [1.0], ["Left"], width=64, height=64))
>>> canvas.getpixel((32, 32)) != (0, 0, 0)
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from foveal.viz.style import RGB, Style, draw_label

HAND_CONNECTIONS = (
    (0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10), (10, 11),
    (11, 12), (9, 13), (13, 14), (14, 15), (15, 16), (13, 17), (0, 17), (17, 18), (18, 19),
    (19, 20),
)  # fmt: skip
"""Hand skeleton: wrist (0), thumb (1-4), index (5-8), middle (9-12), ring (13-16), little."""

POSE_CONNECTIONS = (
    (0, 1), (1, 2), (2, 3), (3, 7), (0, 4), (4, 5), (5, 6), (6, 8), (9, 10), (11, 12), (11, 13),
    (13, 15), (15, 17), (15, 19), (15, 21), (17, 19), (12, 14), (14, 16), (16, 18), (16, 20),
    (16, 22), (18, 20), (11, 23), (12, 24), (23, 24), (23, 25), (24, 26), (25, 27), (26, 28),
    (27, 29), (28, 30), (29, 31), (30, 32), (27, 31), (28, 32),
)  # fmt: skip
"""Body skeleton of the 33 pose points (face, arms and hands, torso, legs and feet)."""

FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
    148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109, 10,
)  # fmt: skip
"""The face mesh's outline, in order around the face."""

COLORS: dict[str, RGB] = {
    "Left": (255, 120, 40),
    "Right": (40, 200, 255),
    "pose": (90, 255, 90),
    "face": (255, 255, 255),
}


def draw_landmarks(
    canvas: Image.Image,
    landmarks: Any,
    *,
    line_width: int | None = None,
    font_size: int | None = None,
    show_labels: bool = True,
) -> None:
    """Draw :class:`foveal.results.Landmarks` on ``canvas`` (RGB PIL image, changed in place)."""
    items = zip(landmarks.parts, landmarks.points, landmarks.handedness, strict=True)
    draw_parts(canvas, items, line_width=line_width, font_size=font_size, show_labels=show_labels)


def draw_landmark_record(canvas: Image.Image, record: dict[str, Any], **options: Any) -> None:
    """Draw landmarks given as ``Landmarks.to_dict()`` (an ``analyze`` record) on ``canvas``."""
    items = [
        (part, np.asarray(rec["points"], np.float32), rec.get("handedness", ""))
        for key, part in (("hands", "hand"), ("poses", "pose"), ("faces", "face"))
        for rec in record.get(key) or []
    ]
    draw_parts(canvas, items, **options)


def draw_parts(
    canvas: Image.Image,
    items: Iterable[tuple[str, np.ndarray, str]],
    *,
    line_width: int | None = None,
    font_size: int | None = None,
    show_labels: bool = True,
) -> None:
    """Draw ``(part, points (K, 2 or 3), handedness)`` items on ``canvas`` (in place)."""
    style = Style.for_image(canvas, line_width=line_width, font_size=font_size)
    draw = ImageDraw.Draw(canvas)
    lw = max(1, style.line_width - 1)
    for part, pts, hand in items:
        xy = [(float(x), float(y)) for x, y in np.asarray(pts)[:, :2]]
        if part == "face":
            color = COLORS["face"]
            for x, y in xy:
                draw.point((x, y), fill=color)
            draw.line([xy[i] for i in FACE_OVAL], fill=color, width=lw)
            continue
        color = COLORS.get(hand, COLORS["Left"]) if part == "hand" else COLORS["pose"]
        for a, b in HAND_CONNECTIONS if part == "hand" else POSE_CONNECTIONS:
            draw.line([xy[a], xy[b]], fill=color, width=lw)
        r = lw + 1
        for x, y in xy:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 0, 80))
        if part == "hand" and show_labels and hand:
            x0 = min(x for x, _ in xy)
            y0 = min(y for _, y in xy)
            draw_label(draw, (x0, y0), hand, color, style)
