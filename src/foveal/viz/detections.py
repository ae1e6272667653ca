"""Draw detections: one box per object in its class's colour, labelled ``name 0.87``."""

from __future__ import annotations

from typing import Any

from PIL import Image, ImageDraw

from foveal.viz.style import Style, class_color, draw_label


def draw_detections(
    canvas: Image.Image,
    detections: Any,
    *,
    line_width: int | None = None,
    font_size: int | None = None,
    show_scores: bool = True,
) -> None:
    """Draw :class:`foveal.results.Detections` on ``canvas`` (an RGB PIL image, changed in place).

    Line width and text size follow the image's size unless given.
    """
    style = Style.for_image(canvas, line_width=line_width, font_size=font_size)
    draw = ImageDraw.Draw(canvas)
    for box, score, cid, name in zip(
        detections.xyxy, detections.scores, detections.class_ids, detections.names, strict=True
    ):
        color = class_color(int(cid))
        x1, y1, x2, y2 = (float(v) for v in box)
        draw.rectangle((x1, y1, x2, y2), outline=color, width=style.line_width)
        label = f"{name} {score:.2f}" if show_scores else name
        draw_label(draw, (x1, y1), label, color, style)
