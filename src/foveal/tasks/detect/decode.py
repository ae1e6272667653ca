"""YOLOX output decoding: anchor grid, boxes, scores, class filter and class-aware NMS.

The network's raw output is ``(A, 5 + C)`` per image: for each anchor point (all cells of the
stride 8, 16 and 32 grids, row-major), ``cx, cy, w, h`` relative to its cell, then objectness and
``C`` class probabilities (both already through a sigmoid). :func:`decode_boxes` turns the first
four into ``xyxy`` pixels of the network input; :func:`postprocess` scores, filters, runs NMS and
maps the boxes back to the original image.

>>> grid, stride = anchor_grid((416, 416))
>>> grid.shape, int(stride[0, 0]), int(stride[-1, 0])
((3549, 2), 8, 32)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from foveal.errors import ConfigError, FovealError
from foveal.ops import batched_nms
from foveal.results import Detections
from foveal.zoo.meta import ModelMeta

STRIDES = (8, 16, 32)
PAD_VALUE = 114


@dataclass(frozen=True)
class DetectParams:
    """The detection parameters a model's :class:`~foveal.zoo.meta.ModelMeta` carries.

    Attributes:
        strides: the output strides of the anchor grids, finest first.
        pad: the letterbox fill value.
        input_size: ``(h, w)`` in files written before the input size moved to the metadata's
            ``preprocess``; ``None`` in newer files.

    >>> DetectParams.of(ModelMeta("m", "detect", params={"strides": [8, 16], "pad": 0}))
    DetectParams(strides=(8, 16), pad=0, input_size=None)
    """

    strides: tuple[int, ...] = STRIDES
    pad: int = PAD_VALUE
    input_size: tuple[int, int] | None = None

    @classmethod
    def of(cls, meta: ModelMeta) -> DetectParams:
        return meta.params_as(cls)

    def size(self, meta: ModelMeta) -> tuple[int, int]:
        """The network input ``(h, w)``."""
        h, w = self.input_size or meta.preprocess.input_size
        return int(h), int(w)


@lru_cache(maxsize=16)
def anchor_grid(
    input_size: tuple[int, int], strides: tuple[int, ...] = STRIDES
) -> tuple[np.ndarray, np.ndarray]:
    """Cell offsets ``(A, 2)`` (x, y) and strides ``(A, 1)`` of every anchor point, level by
    level, row-major."""
    grids, steps = [], []
    for s in strides:
        hs, ws = input_size[0] // s, input_size[1] // s
        yv, xv = np.meshgrid(np.arange(hs), np.arange(ws), indexing="ij")
        grids.append(np.stack((xv, yv), axis=-1).reshape(-1, 2))
        steps.append(np.full((hs * ws, 1), s))
    grid = np.concatenate(grids).astype(np.float32)
    stride = np.concatenate(steps).astype(np.float32)
    grid.flags.writeable = False
    stride.flags.writeable = False
    return grid, stride


def decode_boxes(
    raw_boxes: np.ndarray,
    input_size: tuple[int, int],
    strides: tuple[int, ...] = STRIDES,
    index: np.ndarray | None = None,
) -> np.ndarray:
    """Raw ``(A, 4)`` regressions -> ``xyxy`` boxes in network-input pixels.

    ``cx, cy = (raw_xy + cell) * stride``; ``w, h = exp(raw_wh) * stride``. With ``index``,
    ``raw_boxes`` holds only those anchor points (decoding after the score filter is cheaper).
    """
    grid, stride = anchor_grid(tuple(input_size), tuple(strides))
    if index is not None:
        grid, stride = grid[index], stride[index]
    if len(raw_boxes) != len(grid):
        raise FovealError(
            f"the network returned {len(raw_boxes)} anchor points; a "
            f"{input_size[0]}x{input_size[1]} input with strides {tuple(strides)} has {len(grid)}. "
            "Is this a YOLOX-style detector with that input size?"
        )
    xy = (raw_boxes[:, :2] + grid) * stride
    wh = np.exp(np.minimum(raw_boxes[:, 2:4], 20.0)) * stride
    return np.concatenate((xy - wh / 2, xy + wh / 2), axis=1)


def postprocess(
    raw: np.ndarray,
    *,
    ratio: float,
    image_shape: tuple[int, int],
    input_size: tuple[int, int],
    labels: Sequence[str],
    conf: float = 0.25,
    iou: float = 0.45,
    class_filter: Sequence[int] | np.ndarray | None = None,
    max_det: int = 300,
    strides: tuple[int, ...] = STRIDES,
    model: str = "",
) -> Detections:
    """Raw ``(A, 5 + C)`` network output of one image -> :class:`Detections` in original pixels.

    Score of an anchor point = objectness x its best class probability (one class per box, like
    YOLOX); points under ``conf`` are dropped, ``class_filter`` (class ids) keeps only those
    classes, then class-aware NMS at ``iou`` and at most ``max_det`` boxes, best first.
    """
    if raw.ndim != 2 or raw.shape[1] < 6:
        raise FovealError(f"detector output has shape {raw.shape}; expected (anchors, 5 + classes)")
    # class probabilities are at most 1, so a point whose objectness is under ``conf`` cannot
    # score ``conf``: the best class is looked for only among the others (most points of a
    # photo; the argmax over every point's 80 classes was the largest cost after the network)
    objectness = raw[:, 4]
    candidates = np.flatnonzero(objectness >= conf)
    cls = raw[candidates, 5:]
    best = cls.argmax(axis=1)
    score = objectness[candidates] * cls[np.arange(len(cls)), best]
    mask = score >= conf
    if class_filter is not None:
        mask &= np.isin(best, np.asarray(class_filter, np.int64))
    if not mask.any():
        return Detections.empty(model)
    idx = candidates[mask]
    boxes = decode_boxes(raw[idx, :4], input_size, strides, index=idx)
    scores, class_ids = score[mask], best[mask]
    keep = batched_nms(boxes, scores, class_ids, iou)[:max_det]
    h0, w0 = image_shape
    out = boxes[keep] / ratio
    np.clip(out[:, 0::2], 0, w0, out=out[:, 0::2])
    np.clip(out[:, 1::2], 0, h0, out=out[:, 1::2])
    ids = class_ids[keep].astype(np.int64)
    names = [labels[i] if i < len(labels) else str(i) for i in ids]
    return Detections(out.astype(np.float32), scores[keep].astype(np.float32), ids, names, model)


def resolve_classes(
    classes: str | Iterable[str | int] | None, labels: Sequence[str], model: str = ""
) -> np.ndarray | None:
    """Class names (case-insensitive; a comma-separated string works too) or ids -> sorted ids.

    >>> resolve_classes("Person, car", ["person", "bicycle", "car"]).tolist()
    [0, 2]

    Raises:
        ConfigError: a name the model does not know, listing the valid names.
    """
    if classes is None:
        return None
    if isinstance(classes, str):
        classes = [c for c in (p.strip() for p in classes.split(",")) if c]
    lookup = {name.lower(): i for i, name in enumerate(labels)}
    ids: set[int] = set()
    unknown: list[str] = []
    for c in classes:
        if isinstance(c, (int, np.integer)):
            if not 0 <= int(c) < len(labels):
                raise ConfigError(
                    f"class id {c} is out of range; {model or 'the model'} has {len(labels)} "
                    f"classes (0..{len(labels) - 1})"
                )
            ids.add(int(c))
        elif str(c).strip().lower() in lookup:
            ids.add(lookup[str(c).strip().lower()])
        else:
            unknown.append(str(c))
    if unknown:
        hints = []
        for u in unknown:
            close = difflib.get_close_matches(u.lower(), list(lookup), n=3)
            if close:
                hints.append(f"{u!r}: did you mean {', '.join(close)}?")
        raise ConfigError(
            f"unknown class name(s) {', '.join(repr(u) for u in unknown)} for "
            f"{model or 'this model'}. "
            + (" ".join(hints) + " " if hints else "")
            + f"Valid names: {', '.join(labels)}"
        )
    if not ids:
        raise ConfigError("classes is empty; pass at least one class name, or None for all classes")
    return np.asarray(sorted(ids), np.int64)


def check_thresholds(conf: float, iou: float, max_det: int) -> None:
    """Raise :class:`ConfigError` for thresholds outside their ranges.

    >>> check_thresholds(0.25, 0.45, 300)
    """
    if not 0.0 <= float(conf) <= 1.0:
        raise ConfigError(f"conf must be between 0 and 1, got {conf}")
    if not 0.0 < float(iou) <= 1.0:
        raise ConfigError(f"iou must be in (0, 1], got {iou}")
    if int(max_det) < 1:
        raise ConfigError(f"max_det must be at least 1, got {max_det}")
