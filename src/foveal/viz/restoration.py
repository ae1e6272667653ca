"""Drawing a :class:`~foveal.results.Restoration`: the restored image itself."""

from __future__ import annotations

from typing import Any

from PIL import Image


def draw_restoration(canvas: Image.Image, result: Any, **options: Any) -> None:
    """Paste the restored image over the canvas (the input image, same size)."""
    canvas.paste(Image.fromarray(result.plot()).resize(canvas.size))
