"""Draw OCR results on the page: line polygons (green) and their text (red)."""

from __future__ import annotations

import numpy as np

from foveal.results import TextLines


def draw_text_lines(rgb: np.ndarray, lines: TextLines) -> np.ndarray:
    """A copy of ``rgb`` with each line's polygon, its reading-order number and (ASCII) text."""
    import cv2

    out = np.ascontiguousarray(rgb.copy())
    thick = max(1, round(max(out.shape[:2]) / 800))
    for i, (poly, text) in enumerate(zip(lines.polygons, lines.texts, strict=True)):
        pts = poly.round().astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(out, [pts], True, (0, 170, 0), thick)
        label = f"{i + 1}: " + text.encode("ascii", "replace").decode("ascii")
        x, y = int(poly[:, 0].min()), int(poly[:, 1].min())
        h = max(8.0, float(poly[:, 1].max() - poly[:, 1].min()))
        scale = max(0.3, min(1.0, h / 60))
        cv2.putText(
            out,
            label,
            (x, max(10, y - 2)),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            (220, 0, 0),
            thick,
            cv2.LINE_AA,
        )
    return out
