"""The detection training pipeline: a PyTorch ``Dataset`` of letterboxed tensors + box targets.

It reads a :class:`~foveal.data.detection.DetectionDataset`, or any sequence of records with
``path``, ``boxes`` (``(N, 4)`` xyxy pixels) and ``class_ids``; ``foveal train detect`` uses it.

Each item is ``(image, target)``:

* ``image``: float32 tensor ``(3, S, S)``; by default as YOLOX expects it: BGR, values 0-255, no
  mean/std, the image scaled to fit ``S`` and placed at the top-left corner, the rest filled with
  114;
* ``target``: a dict with ``boxes`` (N, 4) float32 ``xyxy`` in the pixels of that ``S x S`` input,
  ``labels`` (N,) int64, ``image_id`` (the index), ``orig_size`` ``(h, w)`` and ``ratio`` (the
  letterbox scale, so ``boxes / ratio`` are original pixels when no augmentation is applied).

Training augmentation (``Augment``; all optional): mosaic of four images, scale jitter with a random
translation, horizontal flip and HSV colour jitter. After augmentation boxes are clipped to the
input and boxes narrower or shorter than ``min_box`` pixels are dropped (so zero-area labels never
reach the loss).

>>> import torch
>>> from foveal.data.detection import DetectionImage
>>> from foveal.data.detection_torch import Augment, TorchDetectionDataset, collate
>>> cup = DetectionImage("coffee.png", 600, 400, [[162, 16, 421, 295]], [0])
>>> val = TorchDetectionDataset([cup, cup], size=416)          # no augmentation: the letterbox
>>> loader = torch.utils.data.DataLoader(val, batch_size=2, collate_fn=collate)
>>> images, targets = next(iter(loader))
>>> images.shape, targets[0]["boxes"].round()                  # 600x400 scaled by 416/600
(torch.Size([2, 3, 416, 416]), tensor([[112.,  11., 292., 205.]]))
>>> train = TorchDetectionDataset([cup, cup], size=416, augment=Augment(mosaic=0.5), seed=0)
>>> torch.equal(train[0][0], train[0][0])                      # seeded: the same draw every time
True

For training, on the BCCD blood-cell dataset::

    ds = load_detection("BCCD", split="train")      # from foveal.data.detection
    train = TorchDetectionDataset(ds, size=416, augment=Augment(mosaic=0.5), seed=0)
    loader = torch.utils.data.DataLoader(train, batch_size=8, shuffle=True, collate_fn=collate)
    images, targets = next(iter(loader))     # images: torch.Size([8, 3, 416, 416])

With ``seed`` set, item ``i`` of epoch ``e`` (see :meth:`TorchDetectionDataset.set_epoch`) is the
same in every run and in every DataLoader worker. Without it the draws come from PyTorch's random
generator, so a seeded training run (``foveal.train`` seeds every epoch and worker) is reproducible
too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from foveal.errors import ConfigError
from foveal.io import load_image


@dataclass(frozen=True)
class Augment:
    """Training augmentation settings.

    Attributes:
        mosaic: probability of a 4-image mosaic (0 disables it).
        scale: range of the random scale factor applied on top of the letterbox scale.
        translate: random shift as a fraction of the input size (the scaled image may leave the
            frame).
        flip: probability of a horizontal flip.
        hsv: gains of the random hue, saturation and value jitter (YOLOX: 0.015, 0.7, 0.4); 0
            disables.
    """

    mosaic: float = 0.0
    scale: tuple[float, float] = (0.5, 1.5)
    translate: float = 0.1
    flip: float = 0.5
    hsv: tuple[float, float, float] = (0.015, 0.7, 0.4)

    def __post_init__(self) -> None:
        if not (0 <= self.mosaic <= 1 and 0 <= self.flip <= 1):
            raise ConfigError(
                f"mosaic and flip are probabilities in [0, 1]; got {self.mosaic}, {self.flip}"
            )
        if not 0 < self.scale[0] <= self.scale[1]:
            raise ConfigError(f"scale must be (low, high) with 0 < low <= high; got {self.scale}")
        if not 0 <= self.translate < 1:
            raise ConfigError(f"translate must be in [0, 1); got {self.translate}")


def _place(
    img: np.ndarray, boxes: np.ndarray, ratio: float, ox: int, oy: int, size: int, pad: int
) -> tuple[np.ndarray, float, np.ndarray]:
    """Resize by ``ratio``, paste at offset (ox, oy) (may be negative) on a ``size`` square; move
    boxes."""
    import cv2

    h, w = img.shape[:2]
    # int() and bilinear, exactly as YOLOX's (and foveal.ops.letterbox's) inference letterbox
    nw, nh = max(1, int(w * ratio)), max(1, int(h * ratio))
    resized = (
        cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR) if (nw, nh) != (w, h) else img
    )
    canvas = np.full((size, size, 3), pad, np.uint8)
    x0, y0 = max(ox, 0), max(oy, 0)
    x1, y1 = min(ox + nw, size), min(oy + nh, size)
    if x1 > x0 and y1 > y0:
        canvas[y0:y1, x0:x1] = resized[y0 - oy : y1 - oy, x0 - ox : x1 - ox]
    moved = boxes * np.float32(ratio) + np.array([ox, oy, ox, oy], np.float32)
    return canvas, ratio, moved


def _clip_filter(
    boxes: np.ndarray, labels: np.ndarray, size: int, min_box: float
) -> tuple[np.ndarray, np.ndarray]:
    b = np.clip(boxes, 0, size).astype(np.float32)
    keep = ((b[:, 2] - b[:, 0]) >= min_box) & ((b[:, 3] - b[:, 1]) >= min_box)
    return b[keep], labels[keep]


def _hsv(
    img: np.ndarray, gains: tuple[float, float, float], rng: np.random.Generator
) -> np.ndarray:
    import cv2

    g = rng.uniform(-1, 1, 3) * np.asarray(gains) + 1
    hue, sat, val = cv2.split(cv2.cvtColor(img, cv2.COLOR_RGB2HSV))
    x = np.arange(256, dtype=np.float32)
    lut_h = ((x * g[0]) % 180).astype(np.uint8)
    lut_s = np.clip(x * g[1], 0, 255).astype(np.uint8)
    lut_v = np.clip(x * g[2], 0, 255).astype(np.uint8)
    hsv = cv2.merge((cv2.LUT(hue, lut_h), cv2.LUT(sat, lut_s), cv2.LUT(val, lut_v)))
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


class TorchDetectionDataset(Dataset):
    """Letterboxed images and box targets for training and evaluating detectors (see the module
    docs).

    Args:
        dataset: the images and boxes (e.g. ``load_detection(path, split="train")``, or records
            with ``path``, ``boxes`` and ``class_ids``).
        size: the square input size S (YOLOX-Nano: 416).
        augment: training augmentation, or ``None`` for plain letterboxing (validation).
        channel_order: ``"BGR"`` (YOLOX) or ``"RGB"``.
        scale: multiply pixel values by this (1.0 keeps 0-255; 1/255 gives 0-1).
        pad: letterbox fill value.
        min_box: boxes smaller than this many pixels in width or height (after augmentation) are
            dropped.
        seed: makes augmentation reproducible per (epoch, index).
    """

    def __init__(
        self,
        dataset: Sequence[Any],
        *,
        size: int = 416,
        augment: Augment | None = None,
        channel_order: str = "BGR",
        scale: float = 1.0,
        pad: int = 114,
        min_box: float = 2.0,
        seed: int | None = None,
    ) -> None:
        if len(dataset) == 0:
            raise ConfigError("the detection dataset has no images; check the path and the split")
        if size < 32 or size % 32:
            raise ConfigError(
                f"size must be a multiple of 32 and at least 32 (strides 8/16/32); got {size}"
            )
        if channel_order not in ("BGR", "RGB"):
            raise ConfigError(f"channel_order must be 'BGR' or 'RGB'; got {channel_order!r}")
        self.dataset = dataset
        self.size = int(size)
        self.augment = augment
        self.channel_order = channel_order
        self.scale = float(scale)
        self.pad = int(pad)
        self.min_box = float(min_box)
        self.seed = seed
        self.epoch = 0

    @property
    def classes(self) -> list[str]:
        """The class names of a :class:`DetectionDataset` (records carry none)."""
        return list(getattr(self.dataset, "classes", []))

    def __len__(self) -> int:
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """Change the augmentation draws (with ``seed``) for a new epoch."""
        self.epoch = int(epoch)

    def _rng(self, index: int) -> np.random.Generator:
        if self.seed is None:
            return np.random.default_rng(int(torch.randint(0, 2**31 - 1, ()).item()))
        return np.random.default_rng([self.seed, self.epoch, index])

    def _load(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rec = self.dataset[index]
        img = load_image(rec.path)
        boxes = np.asarray(rec.boxes, np.float32).reshape(-1, 4).copy()
        return img, boxes, np.asarray(rec.class_ids, np.int64).reshape(-1).copy()

    def _single(
        self, index: int, rng: np.random.Generator | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, tuple[int, int]]:
        img, boxes, labels = self._load(index)
        h, w = img.shape[:2]
        a = self.augment
        if rng is not None and a is not None and rng.random() < a.flip:
            img = img[:, ::-1]
            boxes = boxes[:, [2, 1, 0, 3]] * np.array([-1, 1, -1, 1], np.float32) + np.array(
                [w, 0, w, 0], np.float32
            )
        ratio = self.size / max(h, w)
        ox = oy = 0
        if rng is not None and a is not None:
            ratio *= rng.uniform(*a.scale)
            nw, nh = w * ratio, h * ratio
            t = a.translate * self.size
            ox = int(round(rng.uniform(min(0, self.size - nw) - t, max(0, self.size - nw) + t)))
            oy = int(round(rng.uniform(min(0, self.size - nh) - t, max(0, self.size - nh) + t)))
        canvas, _, boxes = _place(
            np.ascontiguousarray(img), boxes, ratio, ox, oy, self.size, self.pad
        )
        return canvas, boxes, labels, ratio, (int(h), int(w))

    def _mosaic(
        self, index: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
        """Four images around a random centre; also returns the size of image ``index``."""
        s = self.size
        big = np.full((2 * s, 2 * s, 3), self.pad, np.uint8)
        xc, yc = (int(rng.uniform(0.5 * s, 1.5 * s)) for _ in range(2))
        idx = [index, *rng.integers(0, len(self), 3).tolist()]
        all_b, all_l = [], []
        orig = (0, 0)
        for k, i in enumerate(idx):
            img, boxes, labels = self._load(i)
            if k == 0:
                orig = (int(img.shape[0]), int(img.shape[1]))
            if rng.random() < (self.augment.flip if self.augment else 0):
                w0 = img.shape[1]
                img = img[:, ::-1]
                boxes = boxes[:, [2, 1, 0, 3]] * np.array([-1, 1, -1, 1], np.float32) + np.array(
                    [w0, 0, w0, 0], np.float32
                )
            r = s / max(img.shape[:2])
            tile, _, b = _place(np.ascontiguousarray(img), boxes, r, 0, 0, s, self.pad)
            tw, th = max(1, int(img.shape[1] * r)), max(1, int(img.shape[0] * r))
            tile = tile[:th, :tw]
            # corner of the tile that touches the mosaic centre: bottom-right, bottom-left,
            # top-right, top-left
            x0 = xc - tw if k in (0, 2) else xc
            y0 = yc - th if k in (0, 1) else yc
            bx0, by0 = max(x0, 0), max(y0, 0)
            bx1, by1 = min(x0 + tw, 2 * s), min(y0 + th, 2 * s)
            big[by0:by1, bx0:bx1] = tile[by0 - y0 : by1 - y0, bx0 - x0 : bx1 - x0]
            b = b + np.array([x0, y0, x0, y0], np.float32)
            # clip to the visible part of this tile
            b = np.clip(b, [bx0, by0, bx0, by0], [bx1, by1, bx1, by1]).astype(np.float32)
            all_b.append(b)
            all_l.append(labels)
        boxes = np.concatenate(all_b) if all_b else np.zeros((0, 4), np.float32)
        labels = np.concatenate(all_l) if all_l else np.zeros(0, np.int64)
        a = self.augment or Augment()
        ratio = 0.5 * rng.uniform(*a.scale)
        n = 2 * s * ratio
        t = a.translate * s
        ox = int(round(rng.uniform(min(0, s - n) - t, max(0, s - n) + t)))
        oy = int(round(rng.uniform(min(0, s - n) - t, max(0, s - n) + t)))
        canvas, _, boxes = _place(big, boxes, ratio, ox, oy, s, self.pad)
        return canvas, boxes, labels, orig

    def __getitem__(self, index: int) -> tuple[Any, dict[str, Any]]:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} images")
        rng = self._rng(index) if self.augment is not None else None
        if rng is not None and self.augment is not None and rng.random() < self.augment.mosaic:
            img, boxes, labels, orig = self._mosaic(index, rng)
            ratio = float("nan")
        else:
            img, boxes, labels, ratio, orig = self._single(index, rng)
        boxes, labels = _clip_filter(boxes, labels, self.size, self.min_box)
        if rng is not None and self.augment is not None and any(self.augment.hsv):
            img = _hsv(img, self.augment.hsv, rng)
        if self.channel_order == "BGR":
            img = img[:, :, ::-1]
        tensor = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).float()
        if self.scale != 1.0:
            tensor = tensor * self.scale
        target = {
            "boxes": torch.from_numpy(boxes.astype(np.float32)).reshape(-1, 4),
            "labels": torch.from_numpy(labels.astype(np.int64)),
            "image_id": index,
            "orig_size": orig,
            "ratio": ratio,
        }
        return tensor, target


def collate(batch: list[tuple[Any, dict[str, Any]]]) -> tuple[Any, list[dict[str, Any]]]:
    """Stack images into ``(B, 3, S, S)``; keep targets as a list (box counts differ)."""
    return torch.stack([b[0] for b in batch]), [b[1] for b in batch]


def padded_targets(targets: list[dict[str, Any]], max_boxes: int = 120) -> Any:
    """YOLOX-style labels: a ``(B, max_boxes, 5)`` tensor of ``class, cx, cy, w, h`` (pixels),
    zero-padded.

    Raises:
        ConfigError: an image has more than ``max_boxes`` boxes.
    """
    out = torch.zeros((len(targets), max_boxes, 5), dtype=torch.float32)
    for i, t in enumerate(targets):
        b, c = t["boxes"], t["labels"]
        if len(b) > max_boxes:
            raise ConfigError(
                f"image {t.get('image_id')} has {len(b)} boxes; max_boxes is {max_boxes}"
            )
        if len(b):
            out[i, : len(b), 0] = c.float()
            out[i, : len(b), 1] = (b[:, 0] + b[:, 2]) / 2
            out[i, : len(b), 2] = (b[:, 1] + b[:, 3]) / 2
            out[i, : len(b), 3] = b[:, 2] - b[:, 0]
            out[i, : len(b), 4] = b[:, 3] - b[:, 1]
    return out
