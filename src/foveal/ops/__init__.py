"""Basic operations, each defined exactly once: boxes, image geometry, text.

>>> import numpy as np
>>> from foveal.ops import box_iou, nms
>>> box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10]])).round(3).tolist()
[[0.333]]
"""

from foveal.ops.boxes import batched_nms, box_iou, nms
from foveal.ops.image import letterbox, to_tensor
from foveal.ops.text import ctc_greedy_decode, edit_distance

__all__ = [
    "batched_nms",
    "box_iou",
    "ctc_greedy_decode",
    "edit_distance",
    "letterbox",
    "nms",
    "to_tensor",
]
