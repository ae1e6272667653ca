"""Draw text lines: each line's polygon and its recognised text in dark letters on a light box,
legible on any background.

The text goes just above its line when that space is free (scene text: both stay visible); on a
dense page, where it would hide the line above, it goes over its own line on a box that lets the
printed text show through faintly. Layout blocks, when the result has them, are outlined and
numbered in reading order with their type.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from foveal.viz.style import Style, draw_label, label_size

OUTLINE = (30, 120, 255)
BLOCK = (230, 90, 20)
BOX = (255, 255, 210, 235)


def overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether boxes ``(x1, y1, x2, y2)`` ``a`` and ``b`` share any area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def draw_text_lines(
    canvas: Image.Image,
    lines: Any,
    *,
    line_width: int | None = None,
    font_size: int | None = None,
    show_text: bool = True,
) -> None:
    """Draw :class:`foveal.results.TextLines` on ``canvas`` (RGB PIL image, changed in place).

    The text's size follows each line's height (at most ``font_size`` when given).
    ``line_width`` is the polygons' outline width; ``show_text=False`` draws polygons only.
    """
    base = Style.for_image(canvas, line_width=line_width, font_size=font_size)
    draw = ImageDraw.Draw(canvas)
    blocks = getattr(lines, "block_polygons", None)
    for k, poly in enumerate(blocks if blocks is not None else []):  # layout blocks, numbered
        pts = [(float(x), float(y)) for x, y in poly]
        draw.polygon(pts, outline=BLOCK, width=max(1, base.line_width // 2))
        draw.text(pts[0], f"{k + 1} {lines.block_types[k]}", fill=BLOCK)
    polygons = np.asarray(lines.polygons, np.float32).reshape(-1, 4, 2)
    for poly in polygons:
        draw.polygon(
            [(float(x), float(y)) for x, y in poly], outline=OUTLINE, width=base.line_width
        )
    if not show_text or not len(polygons):
        return
    bounds = [(*poly.min(axis=0), *poly.max(axis=0)) for poly in polygons]
    overlay = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    labels = ImageDraw.Draw(overlay)
    placed: list[tuple[float, ...]] = []
    for i, text in enumerate(lines.texts):
        x1, y1, x2, y2 = (float(v) for v in bounds[i])
        size = int(min(font_size or 3 * base.font_size, max(10, round((y2 - y1) * 0.6))))
        style = Style(line_width=base.line_width, font_size=size)
        w, h = label_size(text, style)
        above = (x1, y1 - base.line_width - h, x1 + w, y1 - base.line_width)
        free = above[1] >= 0 and not any(
            overlaps(above, other) for j, other in enumerate(bounds + placed) if j != i
        )
        anchor = (x1, above[3]) if free else (x1, y1 + max(0.0, (y2 - y1 - h) / 2))
        placed.append(draw_label(labels, anchor, text, BOX, style, above=free))
    canvas.paste(Image.alpha_composite(canvas.convert("RGBA"), overlay).convert("RGB"))
