"""Draw a classification: the top-k labels with their scores and score bars, in a dark panel
at the top-left corner (white text, legible on any photo)."""

from __future__ import annotations

from typing import Any

from PIL import Image, ImageDraw

from foveal.viz.style import Style, label_size, padding

PANEL = (24, 24, 24, 200)
BAR = (80, 170, 255, 255)


def draw_classification(
    canvas: Image.Image,
    classification: Any,
    *,
    top_k: int = 5,
    line_width: int | None = None,
    font_size: int | None = None,
) -> None:
    """Draw :class:`foveal.results.Classification` on ``canvas`` (RGB PIL image, in place).

    Shows at most ``top_k`` classes, best first, as ``name  0.87`` over a bar of the score.
    """
    style = Style.for_image(canvas, line_width=line_width, font_size=font_size)
    rows = [
        (name, float(score))
        for name, score in zip(classification.names, classification.scores, strict=True)
    ][: max(0, int(top_k))]
    if not rows:
        return
    texts = [f"{name}  {score:.2f}" for name, score in rows]
    pad = padding(style)
    row_h = max(label_size(t, style)[1] for t in texts)
    bar_h = max(2, style.line_width + 1)
    width = min(canvas.width, max(label_size(t, style)[0] for t in texts) + 2 * pad)
    height = min(canvas.height, len(rows) * (row_h + bar_h) + 2 * pad)
    overlay = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rectangle((0, 0, width - 1, height - 1), fill=PANEL)
    for i, (text, (_, score)) in enumerate(zip(texts, rows, strict=True)):
        top = pad + i * (row_h + bar_h)
        left, text_top = style.font.getbbox(text)[:2]
        draw.text(
            (2 * pad - left, top + pad - text_top), text, fill=(255, 255, 255, 255), font=style.font
        )
        bar_w = round((width - 4 * pad) * min(max(score, 0.0), 1.0))
        if bar_w > 0:
            y = top + row_h - 1
            draw.rectangle((2 * pad, y, 2 * pad + bar_w, y + bar_h - 1), fill=BAR)
    canvas.paste(Image.alpha_composite(canvas.convert("RGBA"), overlay).convert("RGB"))
