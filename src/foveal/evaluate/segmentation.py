"""Segmentation metrics from a pixel confusion matrix: pixel error, per-class IoU and Dice, mIoU.

>>> cm = confusion(np.array([[0, 1], [1, 1]]), np.array([[0, 1], [0, 1]]), 2)
>>> m = segmentation_metrics(cm, ["a", "b"])
>>> m["pixel_error"], m["iou"]["a"], m["dice"]["b"]
(0.25, 0.5, 0.8)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def confusion(pred: np.ndarray, true: np.ndarray, num_classes: int) -> np.ndarray:
    """``(K, K)`` int64 pixel counts, rows = true class, columns = predicted class."""
    if pred.shape != true.shape:
        raise ValueError(f"prediction {pred.shape} and truth {true.shape} differ in shape")
    idx = true.astype(np.int64).ravel() * num_classes + pred.astype(np.int64).ravel()
    return np.bincount(idx, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def segmentation_metrics(cm: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """Pixel error (1 - accuracy), per-class IoU and Dice (classes absent from both the truth and
    the prediction left out of the means), mIoU and mean Dice."""
    cm = np.asarray(cm, np.float64)
    tp = np.diag(cm)
    fp, fn = cm.sum(0) - tp, cm.sum(1) - tp
    present = (tp + fp + fn) > 0
    iou = np.where(present, tp / np.maximum(tp + fp + fn, 1), np.nan)
    dice = np.where(present, 2 * tp / np.maximum(2 * tp + fp + fn, 1), np.nan)
    total = max(cm.sum(), 1.0)
    return {
        "pixel_error": float(1.0 - tp.sum() / total),
        "pixel_accuracy": float(tp.sum() / total),
        "miou": float(np.nanmean(iou)) if present.any() else 0.0,
        "mean_dice": float(np.nanmean(dice)) if present.any() else 0.0,
        "iou": {n: (None if np.isnan(v) else float(v)) for n, v in zip(labels, iou, strict=True)},
        "dice": {n: (None if np.isnan(v) else float(v)) for n, v in zip(labels, dice, strict=True)},
        "pixels": int(total),
    }
