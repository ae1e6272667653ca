"""Draw tracks: a box per object in its track's colour, labelled ``#7 person 0.87``, and a trail
of its recent centres."""

from __future__ import annotations

from typing import Any

from PIL import Image, ImageDraw

from foveal.viz.style import Style, class_color, draw_label


def draw_tracks(
    canvas: Image.Image,
    tracks: Any,
    *,
    line_width: int | None = None,
    font_size: int | None = None,
    show_scores: bool = True,
    show_trails: bool = True,
) -> None:
    """Draw :class:`foveal.results.Tracks` on ``canvas`` (an RGB PIL image, changed in place).

    Each track keeps one colour for its whole life (from its ID); trails are drawn when the
    tracks carry them (``ByteTracker`` keeps the last ``trail`` centres).
    """
    style = Style.for_image(canvas, line_width=line_width, font_size=font_size)
    draw = ImageDraw.Draw(canvas)
    trails = tracks.trails if show_trails and tracks.trails is not None else [None] * len(tracks)
    for box, score, tid, name, trail in zip(
        tracks.xyxy, tracks.scores, tracks.track_ids, tracks.names, trails, strict=True
    ):
        color = class_color(int(tid))
        if trail is not None and len(trail) > 1:
            draw.line([(float(x), float(y)) for x, y in trail], fill=color, width=style.line_width)
        x1, y1, x2, y2 = (float(v) for v in box)
        draw.rectangle((x1, y1, x2, y2), outline=color, width=style.line_width)
        label = f"#{int(tid)} {name}" + (f" {score:.2f}" if show_scores else "")
        draw_label(draw, (x1, y1), label, color, style)
