"""The object detector: letterbox -> YOLOX network -> decode + class-aware NMS.

>>> from foveal.tasks.detect import Detector
>>> det = Detector("yolox_nano.coco")
>>> d = det("coffee.png", conf=0.3)
>>> d.names, d.xyxy[0].astype(int).tolist()
(['cup', 'dining table'], [162, 16, 420, 294])
>>> det("coffee.png", conf=0.3, classes="cup,person").names
['cup']

A video streams every ``every``-th frame (``item.index`` is the frame number)::

    for item, d in det.predict_batch("clip.mp4", every=25):
        print(item.index, len(d))
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from foveal.ops import letterbox
from foveal.results import Detections
from foveal.runtime.quantize import Int8Recipe
from foveal.tasks.detect.decode import DetectParams, check_thresholds, postprocess, resolve_classes
from foveal.tasks.predictor import NetworkPredictor
from foveal.zoo import ModelSpec


@dataclass(frozen=True)
class DetectOptions:
    """Call options of :class:`Detector`.

    Attributes:
        conf: minimum score (objectness x class probability), in [0, 1].
        iou: NMS threshold; same-class boxes overlapping more than this are merged.
        classes: keep only these classes: names (``["person", "car"]`` or ``"person,car"``,
            case-insensitive) or ids; validated options hold the sorted ids.
        max_det: at most this many boxes per image.
    """

    conf: float = 0.25
    iou: float = 0.45
    classes: str | Sequence[str | int] | None = None
    max_det: int = 300


def build_yolox(spec: ModelSpec, weights: str | os.PathLike | None) -> Any:
    """The zoo detector as foveal's PyTorch YOLOX with its pretrained weights."""
    from foveal.nn.detectors.yolox import load_pretrained

    return load_pretrained(spec, weights=weights)


class Detector(NetworkPredictor[Detections]):
    """Detect objects with a zoo model, a foveal detection ``.onnx`` file or a training run folder.

    Args:
        model: a zoo name (``yolox_nano.coco``), an ``.onnx`` exported by foveal, or a folder
            holding ``model.onnx`` (what ``foveal train detect`` writes).
        backend: ``"onnx"`` (ONNX Runtime, default) or ``"torch"`` (foveal's own PyTorch YOLOX
            with the same weights; zoo models only).
        weights: explicit weights file for a zoo model.
        threads: CPU threads for inference.
        precision: ``"fp32"`` or ``"int8"`` (static QDQ quantisation, ONNX backend; on YOLOX-Nano
            int8 keeps mAP but runs slower than fp32 on a CPU: docs/speed.md).
        calibrate: the images int8 calibrates on, like the ones the model will see: a folder, a
            list of files, or ``None`` for the default set (scikit-image's sample photos).

    Thresholds and the class filter are call options (:class:`DetectOptions`), so one detector
    serves callers with different settings, from any number of threads.
    """

    task: ClassVar[str] = "detect"
    Options: ClassVar[type] = DetectOptions
    default_model: ClassVar[str] = "yolox_nano.coco"
    build_torch: ClassVar[Any] = staticmethod(build_yolox)
    int8_recipe: ClassVar[Any] = Int8Recipe(percentile=99.9, keep_first=23, float_tail=True)
    """int8 for YOLOX: activations calibrated at the 99.9th percentile, the stem and the first two
    CSP stages (23 convolutions) and the decoder tail in fp32. Chosen on BCCD (bench/
    int8_accuracy.py): all-int8 lost 0.099 mAP@[.5:.95], this recipe 0.009 (docs/speed.md)."""

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        *,
        backend: str = "onnx",
        weights: str | os.PathLike | None = None,
        threads: int | None = None,
        precision: str = "fp32",
        calibrate: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
    ) -> None:
        super().__init__(model, backend=backend, weights=weights, threads=threads)
        params = DetectParams.of(self.meta)
        self.input_size: tuple[int, int] = params.size(self.meta)
        self.strides: tuple[int, ...] = tuple(int(s) for s in params.strides)
        self.pad: int = int(params.pad)
        self.use_precision(precision, calibrate)

    def __repr__(self) -> str:
        return (
            f"Detector({self.name!r}, backend={self.backend!r}, classes={len(self.labels)}, "
            f"input={self.input_size})"
        )

    def check_options(self, options: DetectOptions) -> DetectOptions:
        """Check the thresholds and resolve ``classes`` to sorted ids (once per call)."""
        check_thresholds(options.conf, options.iou, options.max_det)
        ids = resolve_classes(options.classes, self.labels, self.name)
        return dataclasses.replace(options, classes=None if ids is None else tuple(ids.tolist()))

    def class_ids(self, classes: str | Sequence[str | int] | None) -> np.ndarray | None:
        """Class names or ids -> ids (a clear error for names this model does not know)."""
        return resolve_classes(classes, self.labels, self.name)

    def preprocess(self, image: np.ndarray) -> tuple[np.ndarray, tuple[float, tuple[int, int]]]:
        """RGB uint8 image -> ``(input tensor (3, h, w), (ratio, original (h, w)))``."""
        tensor, ratio = letterbox(image, self.input_size, pad=self.pad)
        return tensor, (ratio, (int(image.shape[0]), int(image.shape[1])))

    def postprocess(
        self,
        outputs: list[np.ndarray],
        context: tuple[float, tuple[int, int]],
        options: DetectOptions,
    ) -> Detections:
        ratio, shape = context
        return postprocess(
            outputs[0],
            ratio=ratio,
            image_shape=shape,
            input_size=self.input_size,
            labels=self.labels,
            conf=options.conf,
            iou=options.iou,
            class_filter=options.classes,
            max_det=options.max_det,
            strides=self.strides,
            model=self.name,
        )
