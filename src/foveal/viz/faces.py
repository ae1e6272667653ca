"""Draw faces: a box per face, its five landmarks as dots (eyes, nose, mouth corners) and a
label: the name and distance when the faces were identified, else ``face 0.98``.

Identified people keep one colour per name across images; ``unknown`` faces are grey.
"""

from __future__ import annotations

from typing import Any

from PIL import Image, ImageDraw

from foveal.viz.style import RGB, Style, draw_label, name_color

FACE = (255, 140, 0)
UNKNOWN = (150, 150, 150)
# right eye, left eye, nose tip, right and left mouth corner (the order of Faces.landmarks)
LANDMARKS: tuple[RGB, ...] = (
    (0, 220, 255),
    (0, 220, 255),
    (255, 60, 200),
    (120, 255, 60),
    (120, 255, 60),
)


def face_color(name: str | None) -> RGB:
    """Orange for unnamed faces, grey for ``unknown``, a stable colour per person otherwise."""
    if name is None:
        return FACE
    return UNKNOWN if name == "unknown" else name_color(name)


def draw_faces(
    canvas: Image.Image,
    faces: Any,
    *,
    line_width: int | None = None,
    font_size: int | None = None,
    show_landmarks: bool = True,
    show_scores: bool = True,
) -> None:
    """Draw :class:`foveal.results.Faces` on ``canvas`` (RGB PIL image, changed in place)."""
    style = Style.for_image(canvas, line_width=line_width, font_size=font_size)
    draw = ImageDraw.Draw(canvas)
    for i in range(len(faces)):
        name = faces.names[i] if faces.names is not None else None
        color = face_color(name)
        (x1, x2), (y1, y2) = sorted(faces.xyxy[i][0::2]), sorted(faces.xyxy[i][1::2])
        draw.rectangle((x1, y1, x2, y2), outline=color, width=style.line_width)
        if show_landmarks:
            # dots scale with the face so they stay visible but do not hide small faces
            r = max(1.5, min(style.line_width + 1.5, (x2 - x1) / 25))
            for (px, py), dot in zip(faces.landmarks[i], LANDMARKS, strict=True):
                draw.ellipse((px - r, py - r, px + r, py + r), fill=dot, outline=(0, 0, 0), width=1)
        if name is None:
            label = f"face {faces.scores[i]:.2f}" if show_scores else "face"
        elif faces.distances is not None and show_scores:
            label = f"{name} {faces.distances[i]:.2f}"
        else:
            label = name
        draw_label(draw, (x1, y1), label, color, style)
