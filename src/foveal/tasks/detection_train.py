"""Fine-tuning a detector: the training recipe for ``foveal.train.Trainer`` (``foveal train detect``).

>>> recipe = DetectionRecipe(train_items, val_items, classes=["RBC", "WBC", "Platelets"])  # doctest: +SKIP
>>> from foveal.train import Trainer, TrainConfig                                        # doctest: +SKIP
>>> Trainer(recipe, TrainConfig(epochs=30, lr=1e-3)).fit()                               # doctest: +SKIP

Items are anything with ``path``, ``boxes`` (``(N, 4)`` xyxy pixels) and ``class_ids`` (``(N,)``)
attributes — :class:`DetectionSample`, or the dataset records of :mod:`foveal.data`. Images go through
the same letterbox as inference (BGR 0-255, pad 114); training adds horizontal flips, scale jitter,
a random placement in the canvas and brightness/contrast jitter. The network starts from the
pretrained COCO weights (a new class layer when the classes differ), with BatchNorm frozen.
Validation reports COCO-style ``map50_95`` (the main metric) and ``map50`` via pycocotools.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import ConfigError
from foveal.io import load_image
from foveal.tasks.detection import PAD_VALUE, STRIDES, postprocess


@dataclass
class DetectionSample:
    """One training image: its path and ``xyxy`` boxes (original pixels) with class ids."""

    path: Path
    boxes: np.ndarray
    class_ids: np.ndarray

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.boxes = np.asarray(self.boxes, np.float32).reshape(-1, 4)
        self.class_ids = np.asarray(self.class_ids, np.int64).reshape(-1)


@dataclass(frozen=True)
class Augment:
    """Training augmentation (all applied with independent random draws per image)."""

    flip: float = 0.5
    scale: tuple[float, float] = (0.6, 1.4)
    shift: bool = True
    brightness: float = 25.0
    contrast: float = 0.2


def place(
    image: np.ndarray, boxes: np.ndarray, size: int, *, scale: float = 1.0, offset: tuple[int, int] = (0, 0),
    pad: int = PAD_VALUE, min_size: float = 2.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Letterbox ``image`` (RGB uint8) into a ``size x size`` BGR float32 ``(3, S, S)`` canvas.

    ``scale`` multiplies the fitting ratio; ``offset`` (dx, dy) moves the image (negative = cropped).
    Returns ``(tensor, boxes in canvas pixels, kept box mask, ratio)``; boxes are clipped and those
    left smaller than ``min_size`` pixels are dropped.
    """
    import cv2

    h0, w0 = image.shape[:2]
    ratio = min(size / h0, size / w0) * scale
    nh, nw = max(1, int(h0 * ratio)), max(1, int(w0 * ratio))
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR) if (nh, nw) != (h0, w0) else image
    canvas = np.full((size, size, 3), pad, np.uint8)
    dx, dy = offset
    sx, sy = max(0, -dx), max(0, -dy)
    tx, ty = max(0, dx), max(0, dy)
    w = min(nw - sx, size - tx)
    h = min(nh - sy, size - ty)
    if w > 0 and h > 0:
        canvas[ty : ty + h, tx : tx + w] = resized[sy : sy + h, sx : sx + w, ::-1]
    out = boxes * ratio + np.array([dx, dy, dx, dy], np.float32)
    np.clip(out, 0, size, out=out)
    keep = ((out[:, 2] - out[:, 0]) >= min_size) & ((out[:, 3] - out[:, 1]) >= min_size)
    return canvas.transpose(2, 0, 1).astype(np.float32), out[keep], keep, ratio


class LetterboxDataset:
    """A torch-style dataset: ``(image (3, S, S) BGR float32, target (G, 5) [class, x1, y1, x2, y2], meta)``."""

    def __init__(self, items: Sequence[Any], size: int, augment: Augment | None = None) -> None:
        self.items = list(items)
        self.size = int(size)
        self.augment = augment

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[Any, Any, dict[str, Any]]:
        import torch

        item = self.items[index]
        image = load_image(item.path)
        boxes = np.asarray(item.boxes, np.float32).reshape(-1, 4).copy()
        ids = np.asarray(item.class_ids, np.int64).reshape(-1)
        scale, offset = 1.0, (0, 0)
        aug = self.augment
        if aug is not None:
            rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, ()).item()))
            h0, w0 = image.shape[:2]
            if rng.random() < aug.flip:
                image = image[:, ::-1]
                boxes[:, [0, 2]] = w0 - boxes[:, [2, 0]]
            scale = float(rng.uniform(*aug.scale))
            if aug.shift:
                r = min(self.size / h0, self.size / w0) * scale
                free_x, free_y = self.size - int(w0 * r), self.size - int(h0 * r)
                offset = (int(rng.integers(min(0, free_x), max(0, free_x) + 1)), int(rng.integers(min(0, free_y), max(0, free_y) + 1)))
            if aug.brightness or aug.contrast:
                a = 1.0 + rng.uniform(-aug.contrast, aug.contrast)
                b = rng.uniform(-aug.brightness, aug.brightness)
                image = np.clip(image.astype(np.float32) * a + b, 0, 255).astype(np.uint8)
        tensor, out, keep, ratio = place(np.ascontiguousarray(image), boxes, self.size, scale=scale, offset=offset)
        target = np.concatenate((ids[keep, None].astype(np.float32), out), axis=1)
        meta = {"index": index, "ratio": ratio, "shape": (int(image.shape[0]), int(image.shape[1]))}
        return torch.from_numpy(tensor), torch.from_numpy(target), meta


def collate(batch: list[tuple[Any, Any, dict[str, Any]]]) -> tuple[Any, list[Any], list[dict[str, Any]]]:
    import torch

    images, targets, metas = zip(*batch, strict=True)
    return torch.stack(images), list(targets), list(metas)


def coco_map(
    gts: Sequence[tuple[np.ndarray, np.ndarray]], preds: Sequence[Any], num_classes: int
) -> dict[str, float]:
    """COCO mAP@[.5:.95] and mAP@.5 (pycocotools) of per-image predictions against ``(boxes, class_ids)``."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    images, anns, dets = [], [], []
    for i, ((boxes, ids), pred) in enumerate(zip(gts, preds, strict=True)):
        images.append({"id": i})
        for b, c in zip(boxes, ids, strict=True):
            w, h = float(b[2] - b[0]), float(b[3] - b[1])
            anns.append({"id": len(anns) + 1, "image_id": i, "category_id": int(c), "bbox": [float(b[0]), float(b[1]), w, h],
                         "area": w * h, "iscrowd": 0})
        for b, s, c in zip(pred.xyxy, pred.scores, pred.class_ids, strict=True):
            dets.append({"image_id": i, "category_id": int(c), "score": float(s),
                         "bbox": [float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])]})
    if not anns or not dets:
        return {"map50_95": 0.0, "map50": 0.0}
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": images, "annotations": anns, "categories": [{"id": k} for k in range(num_classes)]}
        gt.createIndex()
        ev = COCOeval(gt, gt.loadRes(dets), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return {"map50_95": float(max(ev.stats[0], 0.0)), "map50": float(max(ev.stats[1], 0.0))}


@dataclass
class DetectionRecipe:
    """Fine-tune a YOLOX zoo detector on your boxes (the ``foveal.train`` recipe contract).

    Args:
        train_items / val_items: training and validation images (see module docstring).
        classes: class names, index = class id.
        model: the zoo detector to start from.
        pretrained: start from its pretrained weights (else random initialisation).
        input_size: square network input (a multiple of 32).
        batch_size, workers: data loading.
        augment: training augmentation (None = off).
        freeze_bn: keep BatchNorm statistics fixed (default: when pretrained).
    """

    train_items: Sequence[Any]
    val_items: Sequence[Any]
    classes: Sequence[str]
    model: str = "yolox_nano.coco"
    pretrained: bool = True
    input_size: int = 416
    batch_size: int = 8
    workers: int = 0
    augment: Augment | None = field(default_factory=Augment)
    freeze_bn: bool | None = None
    eval_conf: float = 0.001
    eval_iou: float = 0.65
    name: str = "detect"
    main_metric: str = "map50_95"
    mode: str = "max"

    def __post_init__(self) -> None:
        self.classes = [str(c) for c in self.classes]
        if not self.classes:
            raise ConfigError("a detection recipe needs at least one class name")
        if self.input_size % 32 or self.input_size < 64:
            raise ConfigError(f"input_size must be a multiple of 32 and at least 64, got {self.input_size}")
        if not self.train_items:
            raise ConfigError("no training images; check the dataset path and split")
        for items in (self.train_items, self.val_items):
            for it in items:
                ids = np.asarray(it.class_ids)
                if ids.size and (ids.min() < 0 or ids.max() >= len(self.classes)):
                    raise ConfigError(f"{it.path}: class id {int(ids.max())} but only {len(self.classes)} classes {self.classes}")

    # -- model
    def build_model(self) -> Any:
        from foveal.nn.detectors.yolox import load_pretrained
        from foveal.zoo import get

        spec = get(self.model)
        if spec.task != "detect":
            raise ConfigError(f"{spec.name} is a {spec.task} model; fine-tune a detector (foveal models list --task detect)")
        net = load_pretrained(spec) if self.pretrained else spec.build()
        if list(spec.label_names()) != list(self.classes):
            net.head.reset_classes(len(self.classes))
        net.freeze_bn = self.pretrained if self.freeze_bn is None else bool(self.freeze_bn)
        return net

    def describe(self) -> dict[str, Any]:
        from foveal.zoo import get

        return {"arch": get(self.model).arch, "base_model": self.model, "classes": list(self.classes),
                "input_size": self.input_size, "pretrained": self.pretrained}

    # -- data
    def _loader(self, items: Sequence[Any], train: bool) -> Any:
        from torch.utils.data import DataLoader

        ds = LetterboxDataset(items, self.input_size, self.augment if train else None)
        return DataLoader(ds, batch_size=self.batch_size, shuffle=train, num_workers=self.workers,
                          collate_fn=collate, drop_last=False)

    def train_loader(self) -> Any:
        return self._loader(self.train_items, True)

    def val_loader(self) -> Any:
        return self._loader(self.val_items, False)

    # -- steps
    def training_step(self, model: Any, batch: Any) -> dict[str, Any]:
        from foveal.nn.losses.yolox import yolox_loss

        images, targets, _ = batch
        logits = model(images, logits=True)
        return yolox_loss(logits, targets, input_size=(self.input_size, self.input_size), strides=STRIDES)

    def predict_loader(self, model: Any, loader: Any) -> list[Any]:
        """Detections (original-image pixels) for every image of ``loader``, in order."""
        import torch

        out = []
        with torch.no_grad():
            for images, _, metas in loader:
                raw = model(images).float().cpu().numpy()
                for r, meta in zip(raw, metas, strict=True):
                    out.append(postprocess(r, ratio=meta["ratio"], image_shape=meta["shape"],
                                           input_size=(self.input_size, self.input_size), labels=self.classes,
                                           conf=self.eval_conf, iou=self.eval_iou, max_det=100))
        return out

    def evaluate(self, model: Any, loader: Any) -> dict[str, float]:
        preds = self.predict_loader(model, loader)
        items = loader.dataset.items
        gts = [(np.asarray(it.boxes, np.float32).reshape(-1, 4), np.asarray(it.class_ids, np.int64)) for it in items]
        return coco_map(gts, preds, len(self.classes))

    def export(self, model: Any, run_dir: str | os.PathLike) -> Path:
        """Write ``run_dir/model.onnx`` (runs with ``foveal.detect(image, model=run_dir)``)."""
        import copy

        import torch

        from foveal.runtime.export import export_onnx

        net = copy.deepcopy(model).cpu().eval()
        s = self.input_size
        sample = torch.rand(1, 3, s, s, generator=torch.Generator().manual_seed(0)) * 255
        meta = {"name": f"{self.model.split('.')[0]}.{Path(run_dir).name}", "task": "detect", "labels": list(self.classes),
                "input_size": [s, s], "strides": list(STRIDES), "pad": PAD_VALUE, "format": "yolox",
                "base_model": self.model}
        path = Path(run_dir) / "model.onnx"
        export_onnx(net, sample, path, input_names=("images",), output_names=("output",),
                    dynamic_axes={"images": {0: "batch"}, "output": {0: "batch"}}, metadata=meta, atol=1e-3)
        return path
