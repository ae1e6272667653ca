"""Boxes in ``xyxy`` pixels: pairwise IoU and greedy non-maximum suppression (numpy).

``cv2.dnn.NMSBoxes`` and ``torchvision.ops.nms`` give the same indices (a test checks
torchvision's); this version needs neither and keeps float64 precision for large coordinates.
"""

from __future__ import annotations

import numpy as np


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of ``xyxy`` boxes: ``(N, 4) x (M, 4) -> (N, M)``; 0 where the union is empty.

    >>> box_iou(
    ...     np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10], [20, 20, 30, 30]])
    ... ).round(3).tolist()
    [[0.333, 0.0]]
    """
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(axis=2)
    area_a = (a[:, 2:] - a[:, :2]).clip(0).prod(axis=1)
    area_b = (b[:, 2:] - b[:, :2]).clip(0).prod(axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def nms(
    boxes: np.ndarray, scores: np.ndarray, iou: float, max_det: int | None = None
) -> np.ndarray:
    """Greedy non-maximum suppression: kept indices, highest score first.

    A box is dropped when its IoU with a higher-scoring kept box is *greater* than ``iou``.

    >>> b = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], np.float32)
    >>> nms(b, np.array([0.9, 0.8, 0.7]), 0.5).tolist()
    [0, 2]
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    order = np.argsort(-np.asarray(scores), kind="stable")
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        if order.size == 1 or (max_det is not None and len(keep) >= max_det):
            break
        rest = order[1:]
        order = rest[box_iou(boxes[i], boxes[rest])[0] <= iou]
    return np.asarray(keep, np.int64)


def batched_nms(
    boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, iou: float
) -> np.ndarray:
    """Class-aware NMS: boxes of different classes never suppress each other.

    Each class's boxes are shifted to their own region of the plane, so one greedy pass does all
    classes at once. Returns kept indices, highest score first.

    >>> b = np.array([[0, 0, 10, 10], [1, 1, 10, 10]], np.float32)
    >>> batched_nms(b, np.array([0.9, 0.8]), np.array([0, 1]), 0.5).tolist()
    [0, 1]
    """
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    boxes = np.asarray(boxes, np.float64)
    span = float(boxes.max() - min(boxes.min(), 0.0)) + 1.0
    shifted = boxes + (np.asarray(class_ids, np.float64) * span)[:, None]
    return nms(shifted, scores, iou)
