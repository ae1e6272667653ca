"""Draw text lines: each line's polygon and its recognised text in dark letters on a light box,
legible on any background.

The text goes just above its line when that space is free (scene text: both stay visible); on a
dense page, where it would hide the line above, it goes over its own line on a box that lets the
printed text show through faintly. Layout blocks, when the result has them, are outlined in
their type's colour (:func:`block_color`) and labelled with their reading-order number and type
("2 title").
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from foveal.viz.style import RGB, Style, draw_label, label_size, name_color

OUTLINE = (30, 120, 255)
BOX = (255, 255, 210, 235)
BLOCK_COLORS: dict[str, RGB] = {
    "text": (230, 90, 20),
    "title": (200, 0, 160),
    "header": (0, 150, 150),
    "footer": (0, 110, 200),
    "figure": (40, 160, 40),
    "figure_caption": (120, 150, 0),
    "table": (140, 70, 220),
    "table_caption": (170, 110, 230),
    "reference": (150, 100, 50),
    "equation": (210, 40, 40),
}
"""Outline colours of the CDLA layout block types (others get a stable colour by name)."""


def block_color(kind: str) -> RGB:
    """The outline colour of a layout block type.

    >>> block_color("title"), block_color("title") != block_color("text")
    ((200, 0, 160), True)
    """
    return BLOCK_COLORS.get(kind) or name_color(kind)


def draw_blocks(
    canvas: Image.Image, polygons: Any, types: list[str], *, line_width: int | None = None
) -> None:
    """Outline layout blocks ((M, 4, 2) corners, in reading order) in their type's colour and
    label each ``"k type"`` (k from 1) at its top-left corner; ``canvas`` changes in place."""
    base = Style.for_image(canvas, line_width=line_width)
    style = Style(line_width=base.line_width, font_size=max(10, round(base.font_size * 0.7)))
    draw = ImageDraw.Draw(canvas)
    for k, (poly, kind) in enumerate(zip(polygons, types, strict=True)):
        pts = [(float(x), float(y)) for x, y in poly]
        colour = block_color(kind)
        draw.polygon(pts, outline=colour, width=max(1, base.line_width))
        draw_label(draw, pts[0], f"{k + 1} {kind}", colour, style, above=False)


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
    polygons = np.asarray(lines.polygons, np.float32).reshape(-1, 4, 2)
    for poly in polygons:
        draw.polygon(
            [(float(x), float(y)) for x, y in poly], outline=OUTLINE, width=base.line_width
        )
    if show_text and len(polygons):
        draw_line_texts(canvas, lines, polygons, base, font_size)
    blocks = getattr(lines, "block_polygons", None)
    if blocks is not None:  # last: the block labels stay visible over the lines' texts
        draw_blocks(canvas, blocks, list(lines.block_types), line_width=line_width)


def draw_line_texts(
    canvas: Image.Image, lines: Any, polygons: np.ndarray, base: Style, font_size: int | None
) -> None:
    """Each line's text on a light box, above the line where free, else over it."""
    bounds = [(*poly.min(axis=0), *poly.max(axis=0)) for poly in polygons]
    overlay = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    labels = ImageDraw.Draw(overlay)
    placed: list[tuple[float, ...]] = []
    for i, text in enumerate(lines.texts):
        x1, y1, x2, y2 = (float(v) for v in bounds[i])
        poly = polygons[i]  # clockwise from the text's top-left: [1] - [0] runs along the text
        height = float(np.linalg.norm(poly[3] - poly[0]))
        size = int(min(font_size or 3 * base.font_size, max(10, round(height * 0.6))))
        style = Style(line_width=base.line_width, font_size=size)
        w, h = label_size(text, style)
        along = poly[1] - poly[0]
        angle = math.degrees(math.atan2(float(along[1]), float(along[0])))
        if abs(angle) > 30:  # a turned line (a page lying on its side): the text runs along it
            tile = Image.new("RGBA", (w, h), (0, 0, 0, 0))
            draw_label(ImageDraw.Draw(tile), (0, 0), text, BOX, style, above=False)
            turned = tile.rotate(-angle, expand=True, resample=Image.Resampling.BICUBIC)
            cx, cy = poly.mean(axis=0)
            corner = (round(cx - turned.width / 2), round(cy - turned.height / 2))
            overlay.paste(turned, corner, turned)
            continue
        above = (x1, y1 - base.line_width - h, x1 + w, y1 - base.line_width)
        free = above[1] >= 0 and not any(
            overlaps(above, other) for j, other in enumerate(bounds + placed) if j != i
        )
        anchor = (x1, above[3]) if free else (x1, y1 + max(0.0, (y2 - y1 - h) / 2))
        placed.append(draw_label(labels, anchor, text, BOX, style, above=free))
    canvas.paste(Image.alpha_composite(canvas.convert("RGBA"), overlay).convert("RGB"))
