"""What every drawer shares: colours, a font, sizes that follow the image, and labels that stay
legible on any background (text on a filled box in a contrasting colour, kept inside the image).

>>> from foveal.viz.style import class_color, text_color_on
>>> class_color(0) != class_color(1)
True
>>> text_color_on((255, 255, 0)), text_color_on((0, 0, 128))
((0, 0, 0), (255, 255, 255))
"""

from __future__ import annotations

import colorsys
import zlib
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

RGB = tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def class_color(class_id: int) -> RGB:
    """A stable, distinct RGB colour per class id (golden-ratio hue steps)."""
    hue = (int(class_id) * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.95)
    return int(r * 255), int(g * 255), int(b * 255)


def name_color(name: str) -> RGB:
    """A stable colour per name (the same person gets the same colour in every image)."""
    return class_color(zlib.crc32(name.encode("utf-8")) % 1000)


def text_color_on(background: RGB) -> RGB:
    """Black or white, whichever reads better on ``background``."""
    r, g, b = background[:3]
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255)


@lru_cache(maxsize=16)
def font(size: int) -> Font:
    """DejaVu Sans (Latin, Greek, Cyrillic) where the system has it, else Pillow's own font."""
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


@dataclass(frozen=True)
class Style:
    """Line width and text size for one image: both grow with the image's longer side."""

    line_width: int
    font_size: int

    @classmethod
    def for_image(
        cls, canvas: Image.Image, *, line_width: int | None = None, font_size: int | None = None
    ) -> Style:
        longer = max(canvas.size)
        return cls(
            line_width=int(line_width or max(1, round(longer / 400))),
            font_size=int(font_size or max(11, round(longer / 50))),
        )

    @property
    def font(self) -> Font:
        return font(self.font_size)


def label_size(text: str, style: Style) -> tuple[int, int]:
    """Width and height of ``text`` drawn by :func:`draw_label` (padding included)."""
    left, top, right, bottom = style.font.getbbox(text or " ")
    pad = padding(style)
    return int(right - left) + 2 * pad, int(bottom - top) + 2 * pad


def padding(style: Style) -> int:
    """Space between a label's text and the edge of its box."""
    return max(2, style.font_size // 6)


def draw_label(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    background: RGB,
    style: Style,
    *,
    above: bool = True,
) -> tuple[int, int, int, int]:
    """Draw ``text`` on a filled box whose bottom-left (``above``) or top-left corner is ``xy``.

    The box moves below/above ``xy`` when there is no room, and left to stay inside the image.
    Returns the box ``(x1, y1, x2, y2)``.
    """
    w, h = label_size(text, style)
    width, height = draw.im.size
    x = min(max(0, int(round(xy[0]))), max(0, width - w))
    y = int(round(xy[1]))
    top = y - h if above else y
    if top < 0:
        top = y
    if top + h > height:
        top = max(0, min(y - h, height - h))
    box = (x, top, x + w - 1, top + h - 1)
    draw.rectangle(box, fill=background)
    pad = padding(style)
    left, text_top = style.font.getbbox(text or " ")[:2]
    origin = (x + pad - left, top + pad - text_top)
    draw.text(origin, text, fill=text_color_on(background), font=style.font)
    return box
