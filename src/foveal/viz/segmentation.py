"""Drawing a :class:`~foveal.results.Segmentation`: every class but the background tinted in its
colour over the image, with the region outlines.

>>> import numpy as np
>>> from PIL import Image
>>> from foveal.results import Segmentation
>>> canvas = Image.new("RGB", (4, 4), (0, 0, 0))
>>> seg = Segmentation(np.eye(4, dtype=np.uint8), ["background", "line"])
>>> draw_segmentation(canvas, seg, alpha=1.0, outline=False)
>>> canvas.getpixel((0, 0)) != (0, 0, 0), canvas.getpixel((1, 0))
(True, (0, 0, 0))
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from foveal.viz.style import class_color


def draw_segmentation(
    canvas: Image.Image,
    result: Any,
    *,
    alpha: float = 0.45,
    background: int | None = 0,
    outline: bool = True,
    line_width: int | None = None,
    **_: Any,
) -> None:
    """Tint the pixels of each class (except ``background``, a class id or None) by ``alpha``
    in the class colour, and outline the regions (in place)."""
    import cv2

    rgb = np.asarray(canvas, dtype=np.float32)
    cmap = result.class_map
    if cmap.shape != rgb.shape[:2]:
        cmap = cv2.resize(cmap, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_NEAREST)
    palette = np.array([class_color(i) for i in range(len(result.labels))], np.float32)
    tint = cmap != background if background is not None else np.ones(cmap.shape, bool)
    colours = palette[cmap]
    rgb[tint] = (1 - alpha) * rgb[tint] + alpha * colours[tint]
    out = np.clip(rgb, 0, 255).astype(np.uint8)
    if outline:
        width = line_width or max(1, round(max(cmap.shape) / 500))
        for k in range(len(result.labels)):
            if k == background:
                continue
            found, _ = cv2.findContours(
                (cmap == k).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
            )
            cv2.drawContours(out, found, -1, tuple(int(c) for c in palette[k]), width)
    canvas.paste(Image.fromarray(out))


def foreground_alpha(result: Any) -> np.ndarray:
    """``(H, W)`` float32 in 0..1: how much each pixel is not background (class 0), soft where
    the result has probabilities."""
    if result.probabilities is not None:
        return np.clip(1.0 - result.probabilities[0], 0.0, 1.0)
    return (result.class_map != 0).astype(np.float32)


def remove_background(image: np.ndarray, result: Any) -> np.ndarray:
    """RGBA ``uint8``: the image with the background (class 0) transparent.

    >>> from foveal.results import Segmentation
    >>> seg = Segmentation(np.array([[0, 1]], np.uint8), ["background", "person"])
    >>> remove_background(np.full((1, 2, 3), 9, np.uint8), seg)[..., 3].tolist()
    [[0, 255]]
    """
    alpha = np.round(foreground_alpha(result) * 255).astype(np.uint8)
    return np.dstack((image[..., :3], alpha))


def blur_background(image: np.ndarray, result: Any, strength: int | None = None) -> np.ndarray:
    """RGB ``uint8``: the background (class 0) blurred (Gaussian, ``strength`` pixels, default
    2% of the longer side), blended by the foreground alpha."""
    import cv2

    h, w = image.shape[:2]
    sigma = strength or max(2, round(max(h, w) * 0.02))
    blurred = cv2.GaussianBlur(image, (0, 0), sigma)
    a = foreground_alpha(result)[..., None]
    return np.clip(a * image + (1 - a) * blurred, 0, 255).astype(np.uint8)
