"""Basic operations, each defined exactly once: boxes, image geometry, text, windows over large
images.

>>> import numpy as np
>>> from foveal.ops import box_iou, nms
>>> box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10]])).round(3).tolist()
[[0.333]]
"""

from foveal.ops.boxes import batched_nms, box_iou, nms
from foveal.ops.image import letterbox, to_tensor
from foveal.ops.text import ctc_greedy_decode, edit_distance
from foveal.ops.tiles import blend_windows, tiled_apply

__all__ = [
    "batched_nms",
    "blend_windows",
    "box_iou",
    "ctc_greedy_decode",
    "edit_distance",
    "letterbox",
    "nms",
    "tiled_apply",
    "to_tensor",
]
