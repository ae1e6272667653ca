"""Box utilities shared by the face detectors: IoU and greedy non-maximum suppression (numpy)."""

from __future__ import annotations

import numpy as np


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of ``xyxy`` boxes: ``(N, 4) x (M, 4) -> (N, M)``.

    >>> box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10]])).round(3).tolist()
    [[0.333]]
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


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float = 0.3, max_det: int | None = None) -> np.ndarray:
    """Indices of the boxes kept by greedy NMS, best score first.

    >>> nms(np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30]]), np.array([0.9, 0.8, 0.7])).tolist()
    [0, 2]
    """
    order = np.argsort(-np.asarray(scores), kind="stable")
    boxes = np.asarray(boxes, np.float64)
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        if max_det is not None and len(keep) >= max_det:
            break
        if order.size == 1:
            break
        rest = order[1:]
        ious = box_iou(boxes[i : i + 1], boxes[rest])[0]
        order = rest[ious <= iou]
    return np.asarray(keep, dtype=np.int64)
