"""Draw a record's results on its image: object boxes, faces with landmarks, text polygons, top
label.

>>> from foveal.analyze.draw import annotate
>>> from foveal.analyze.pipeline import analyze_items
>>> from foveal.analyze.sources import iter_items
>>> [(item, image, record)] = analyze_items(iter_items(["coffee.png"]), ["detect"])
>>> [d["name"] for d in record["detect"]["detections"]]
['cup', 'dining table']
>>> pil = annotate(image, record)          # a copy: ``image`` is left as it was
>>> pil.size, bool((np.asarray(pil) != image).any())
((600, 400), True)
>>> pil.save("annotated.jpg")
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

COLOURS = {
    "detect": (0, 200, 80),
    "faces": (255, 140, 0),
    "identify": (255, 140, 0),
    "ocr": (30, 120, 255),
}


@lru_cache(maxsize=8)
def font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """DejaVu Sans from matplotlib's data folder (always installed with foveal)."""
    import matplotlib

    path = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    return ImageFont.truetype(str(path), size)


def _label(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    colour: tuple[int, int, int],
    size: int,
) -> None:
    f = font(size)
    x, y = xy
    left, top, right, bottom = draw.textbbox((x, y), text, font=f)
    y = max(0.0, y - (bottom - top) - 4)
    left, top, right, bottom = draw.textbbox((x, y), text, font=f)
    draw.rectangle((left - 2, top - 2, right + 2, bottom + 2), fill=colour)
    draw.text((x, y), text, fill=(255, 255, 255), font=f)


def annotate(image: np.ndarray, record: dict[str, Any]) -> Image.Image:
    """An RGB PIL image with the record's results drawn on a copy of ``image``."""
    pil = Image.fromarray(image).convert("RGB")
    draw = ImageDraw.Draw(pil)
    w, h = pil.size
    lw = max(2, round(max(w, h) / 300))
    size = max(12, round(max(w, h) / 45))
    for det in (record.get("detect") or {}).get("detections", []):
        box = det["box"]
        draw.rectangle(box, outline=COLOURS["detect"], width=lw)
        _label(draw, (box[0], box[1]), f"{det['name']} {det['score']:.2f}", COLOURS["detect"], size)
    for key in ("faces", "identify"):
        for face in (record.get(key) or {}).get("faces", []):
            box = face["box"]
            draw.rectangle(box, outline=COLOURS[key], width=lw)
            r = lw + 1
            for px, py in face.get("landmarks", []):
                draw.ellipse((px - r, py - r, px + r, py + r), fill=COLOURS[key])
            name = face.get("name")
            _label(
                draw,
                (box[0], box[1]),
                name if name else f"face {face['score']:.2f}",
                COLOURS[key],
                size,
            )
    ocr = record.get("ocr") or {}
    if ocr.get("lines") or ocr.get("blocks"):
        from foveal.viz import drawer_for

        lines = text_lines(ocr)  # drawn by the viz drawer: line polygons, numbered typed blocks
        drawer_for(lines)(pil, lines, line_width=max(1, lw - 1), show_text=False)
    if record.get("landmarks") and "error" not in record["landmarks"]:
        from foveal.viz.landmarks import draw_landmark_record

        draw_landmark_record(pil, record["landmarks"])
    top = (record.get("classify") or {}).get("top") or []
    if top:
        # bottom-left, where it does not hide the labels of boxes that start at the top
        _label(draw, (4, h - 2), f"{top[0]['name']} {top[0]['score']:.2f}", (60, 60, 60), size)
    return pil


def text_lines(ocr: dict[str, Any]) -> Any:
    """The :class:`foveal.results.TextLines` of an ``ocr`` record (its ``to_dict()``).

    >>> lines = text_lines({"lines": [{"polygon": [[0, 0], [9, 0], [9, 4], [0, 4]], "text": "a",
    ...     "score": 0.9, "paragraph": 0, "block": 0}], "blocks": [{"type": "title",
    ...     "polygon": [[0, 0], [10, 0], [10, 5], [0, 5]], "order": 0}]})
    >>> lines.texts, lines.block_types, lines.block_ids.tolist()
    (['a'], ['title'], [0])
    """
    from foveal.results import TextLines

    rows = ocr.get("lines", [])
    blocks = sorted(ocr.get("blocks", []), key=lambda b: b["order"])
    has_blocks = "blocks" in ocr
    return TextLines(
        polygons=np.asarray([r["polygon"] for r in rows], np.float32).reshape(-1, 4, 2),
        texts=[r["text"] for r in rows],
        scores=np.asarray([r["score"] for r in rows], np.float32),
        paragraph_ids=np.asarray([r.get("paragraph", i) for i, r in enumerate(rows)], np.int64),
        block_ids=np.asarray([r.get("block", -1) for r in rows], np.int64) if has_blocks else None,
        block_polygons=np.asarray([b["polygon"] for b in blocks], np.float32).reshape(-1, 4, 2)
        if has_blocks
        else None,
        block_types=[b["type"] for b in blocks] if has_blocks else None,
        model=ocr.get("model", ""),
    )


def thumbnail(image: Image.Image | np.ndarray, size: int = 320) -> Image.Image:
    pil = image if isinstance(image, Image.Image) else Image.fromarray(image)
    pil = pil.convert("RGB")
    pil.thumbnail((size, size), Image.BILINEAR)
    return pil
