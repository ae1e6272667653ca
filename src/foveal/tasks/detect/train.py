"""Fine-tuning a detector: the ``foveal.train`` recipe behind ``foveal train detect``.

Training takes minutes, so the example is not run here::

    from foveal.data.detection import load_detection
    from foveal.train import TrainConfig
    ds = load_detection("BCCD")
    recipe = DetectionRecipe(ds.subset("train").images, ds.subset("val").images, ds.classes)
    result = train_detector(recipe, TrainConfig(epochs=30, lr=1e-3))   # result.export_path

Items are anything with ``path``, ``boxes`` (``(N, 4)`` xyxy pixels) and ``class_ids`` (``(N,)``):
:class:`DetectionSample`, or the :class:`~foveal.data.detection.DetectionImage` records of
:mod:`foveal.data`. Images go through the one detection training pipeline,
:class:`~foveal.data.detection_torch.TorchDetectionDataset`: the inference letterbox (BGR 0-255,
pad 114) plus, in training, scale jitter with a random translation, horizontal flips, HSV colour
jitter and optionally mosaic. The network starts from the pretrained COCO weights (a new class
layer when the classes differ), with BatchNorm frozen. Validation scores with
:class:`foveal.evaluate.detection.DetectionMetric` (pycocotools), the same mAP as
``foveal eval detect``: ``map50_95`` (the main metric) and ``map50``.

Mosaic is **off by default** (``Augment(mosaic=0.0)``; ``foveal train detect --mosaic P`` turns it
on): each mosaic sample decodes four images (BCCD at 416 px on one CPU thread: about 24 ms per
sample with mosaic against 12 ms without), and its half-scale, cut-up images differ from what a
short fine-tune of a pretrained model is evaluated on (YOLOX itself switches mosaic off for its
last epochs). It pays off on long trainings, from scratch or on small objects.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from foveal.data.detection_torch import Augment, TorchDetectionDataset, collate
from foveal.errors import ConfigError
from foveal.tasks.detect.decode import STRIDES, postprocess
from foveal.tasks.detect.export import detector_meta, export_network


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


@dataclass
class DetectionRecipe:
    """Fine-tune a YOLOX zoo detector on your boxes (the ``foveal.train`` recipe contract).

    Args:
        train_items / val_items: training and validation images (see the module docstring).
        classes: class names, index = class id.
        model: the zoo detector to start from.
        pretrained: start from its pretrained weights (else random initialisation).
        input_size: square network input (a multiple of 32).
        batch_size, workers: data loading.
        augment: training augmentation (None = off); mosaic is off by default (module docs).
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
            raise ConfigError(
                f"input_size must be a multiple of 32 and at least 64, got {self.input_size}"
            )
        if not self.train_items:
            raise ConfigError("no training images; check the dataset path and split")
        for items in (self.train_items, self.val_items):
            for it in items:
                ids = np.asarray(it.class_ids)
                if ids.size and (ids.min() < 0 or ids.max() >= len(self.classes)):
                    raise ConfigError(
                        f"{it.path}: class id {int(ids.max())} but only {len(self.classes)} "
                        f"classes {self.classes}"
                    )

    # -- model
    def build_model(self) -> Any:
        from foveal.nn.detectors.yolox import load_pretrained
        from foveal.zoo import get

        spec = get(self.model)
        if spec.task != "detect":
            raise ConfigError(
                f"{spec.name} is a {spec.task} model; fine-tune a detector "
                "(foveal models list --task detect)"
            )
        net = load_pretrained(spec) if self.pretrained else spec.build()
        if list(spec.label_names()) != list(self.classes):
            net.head.reset_classes(len(self.classes))
        net.freeze_bn = self.pretrained if self.freeze_bn is None else bool(self.freeze_bn)
        return net

    def describe(self) -> dict[str, Any]:
        from foveal.zoo import get

        return {
            "arch": get(self.model).arch,
            "base_model": self.model,
            "classes": list(self.classes),
            "input_size": self.input_size,
            "pretrained": self.pretrained,
            "mosaic": self.augment.mosaic if self.augment is not None else 0.0,
        }

    # -- data
    def _loader(self, items: Sequence[Any], train: bool) -> Any:
        from torch.utils.data import DataLoader

        ds = TorchDetectionDataset(
            items, size=self.input_size, augment=self.augment if train else None
        )
        return DataLoader(
            ds,
            batch_size=self.batch_size,
            shuffle=train,
            num_workers=self.workers,
            collate_fn=collate,
            drop_last=False,
        )

    def train_loader(self) -> Any:
        return self._loader(self.train_items, True)

    def val_loader(self) -> Any:
        return self._loader(self.val_items, False)

    # -- steps
    def training_step(self, model: Any, batch: Any) -> dict[str, Any]:
        import torch

        from foveal.nn.losses.yolox import yolox_loss

        images, targets = batch
        boxes = [torch.cat((t["labels"][:, None].float(), t["boxes"]), 1) for t in targets]
        logits = model(images, logits=True)
        size = (self.input_size, self.input_size)
        return yolox_loss(logits, boxes, input_size=size, strides=STRIDES)

    def predict_loader(self, model: Any, loader: Any) -> list[Any]:
        """Detections (original-image pixels) for every image of ``loader``, in order."""
        import torch

        out = []
        size = (self.input_size, self.input_size)
        with torch.no_grad():
            for images, targets in loader:
                raw = model(images).float().cpu().numpy()
                for r, t in zip(raw, targets, strict=True):
                    out.append(
                        postprocess(
                            r,
                            ratio=t["ratio"],
                            image_shape=t["orig_size"],
                            input_size=size,
                            labels=self.classes,
                            conf=self.eval_conf,
                            iou=self.eval_iou,
                            max_det=100,
                        )
                    )
        return out

    def evaluate(self, model: Any, loader: Any) -> dict[str, float]:
        """COCO mAP of ``model`` on ``loader``'s images (0 where nothing could be matched)."""
        from foveal.evaluate.detection import DetectionMetric

        metric = DetectionMetric(self.classes, max_dets=100)
        for pred, item in zip(
            self.predict_loader(model, loader), loader.dataset.dataset, strict=True
        ):
            metric.update(pred, item)
        scores = metric.compute()
        return {"map50_95": _or_zero(scores.map), "map50": _or_zero(scores.map50)}

    def export(self, model: Any, run_dir: str | os.PathLike) -> Path:
        """Write ``run_dir/model.onnx`` (runs with ``foveal.detect(image, model=run_dir)``)."""
        import copy

        net = copy.deepcopy(model).cpu().eval()
        s = self.input_size
        meta = detector_meta(
            f"{self.model.split('.')[0]}.{Path(run_dir).name}",
            self.classes,
            (s, s),
            base_model=self.model,
        )
        path = Path(run_dir) / "model.onnx"
        export_network(net, meta, path)
        return path


def _or_zero(value: float) -> float:
    """COCO AP is undefined (nan) when nothing was predicted; training tracks it as 0."""
    return 0.0 if math.isnan(value) else float(value)


def train_detector(recipe: DetectionRecipe, config: Any = None) -> Any:
    """Run ``recipe`` with :class:`foveal.train.Trainer`; returns its ``FitResult``."""
    from foveal.train import Trainer

    return Trainer(recipe, config).fit()
