"""Drawing results on images (kept apart from the result data classes).

>>> from foveal.viz import annotate
>>> out = annotate(image, foveal.detect(image))            # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np


def annotate(image: Any, result: Any, **kwargs: Any) -> np.ndarray:
    """A copy of ``image`` (RGB uint8) with ``result`` drawn on it; the input is never modified.

    Supports :class:`foveal.results.Detections` (boxes with ``name score`` labels).
    """
    from foveal.results import Detections

    if isinstance(result, Detections):
        from foveal.viz.detections import draw_detections

        return draw_detections(image, result, **kwargs)
    raise TypeError(f"annotate cannot draw a {type(result).__name__}; expected Detections")


__all__ = ["annotate"]
