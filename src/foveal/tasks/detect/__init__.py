"""Object detection: the :class:`Detector` predictor, its decoding helpers, training and export.

>>> from foveal.tasks.detect import resolve_classes
>>> resolve_classes(["car"], ["person", "bicycle", "car"]).tolist()
[2]
"""

from foveal.tasks.detect.decode import (
    PAD_VALUE,
    STRIDES,
    DetectParams,
    anchor_grid,
    check_thresholds,
    decode_boxes,
    postprocess,
    resolve_classes,
)
from foveal.tasks.detect.predict import DetectOptions, Detector

__all__ = [
    "PAD_VALUE",
    "STRIDES",
    "DetectOptions",
    "DetectParams",
    "Detector",
    "anchor_grid",
    "check_thresholds",
    "decode_boxes",
    "postprocess",
    "resolve_classes",
]
