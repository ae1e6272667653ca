"""Object detection: letterbox preprocessing, YOLOX decoding, class-aware NMS and the predictor.

>>> from foveal.tasks.detection import Detector
>>> det = Detector("yolox_nano.coco")                       # doctest: +SKIP
>>> d = det.predict("street.jpg", conf=0.3)                 # doctest: +SKIP
>>> d.names[:3], d.xyxy[0]                                 # doctest: +SKIP
(['person', 'person', 'car'], array([ 12.3,  40.1, 118.9, 377.0], dtype=float32))

The network's raw output is ``(A, 5 + C)`` per image: for each anchor point (all cells of the
stride 8, 16 and 32 grids, row-major), ``cx, cy, w, h`` relative to its cell, then objectness and
``C`` class probabilities (both already through a sigmoid). :func:`decode_boxes` turns the first
four into ``xyxy`` pixels of the network input; :func:`postprocess` scores, filters, runs NMS and
maps the boxes back to the original image.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import ConfigError, FovealError, ImageError
from foveal.io import BatchReport, ImageSource, load_image
from foveal.results import Detections
from foveal.runtime import OnnxModel, TorchModel, check_backend, local_onnx
from foveal.tasks.batching import map_ordered
from foveal.zoo import ModelSpec, get
from foveal.zoo.resolve import resolve_weights

DEFAULT_MODEL = "yolox_nano.coco"
STRIDES = (8, 16, 32)
PAD_VALUE = 114
VIDEO_EXTENSIONS = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"})


# --------------------------------------------------------------------------- preprocessing
def letterbox(
    image: np.ndarray, size: tuple[int, int] = (416, 416), *, pad: int = PAD_VALUE, bgr: bool = True
) -> tuple[np.ndarray, float]:
    """Resize an RGB ``uint8`` image to fit ``size`` (h, w) keeping its aspect ratio, top-left aligned.

    Returns ``(tensor, ratio)``: a float32 ``(3, h, w)`` array (BGR 0-255 when ``bgr``) padded with
    ``pad``, and the scale ``ratio`` so that ``input_xy = original_xy * ratio``.

    >>> x, r = letterbox(np.zeros((480, 640, 3), np.uint8), (416, 416))
    >>> x.shape, round(r, 3)
    ((3, 416, 416), 0.65)
    """
    import cv2

    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ImageError(
            f"letterbox expects an RGB uint8 array (H, W, 3); got {image.shape} {image.dtype}. "
            "Use foveal.io.load_image first."
        )
    h0, w0 = image.shape[:2]
    th, tw = int(size[0]), int(size[1])
    ratio = min(th / h0, tw / w0)
    nh, nw = max(1, int(h0 * ratio)), max(1, int(w0 * ratio))
    if (nh, nw) != (h0, w0):
        image = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
    canvas = cv2.copyMakeBorder(image, 0, th - nh, 0, tw - nw, cv2.BORDER_CONSTANT, value=(pad, pad, pad))
    # HWC uint8 -> CHW float32 (and RGB -> BGR) in one pass
    return cv2.dnn.blobFromImage(canvas, 1.0, swapRB=bgr)[0], ratio


# --------------------------------------------------------------------------- decoding
@lru_cache(maxsize=16)
def anchor_grid(input_size: tuple[int, int], strides: tuple[int, ...] = STRIDES) -> tuple[np.ndarray, np.ndarray]:
    """Cell offsets ``(A, 2)`` (x, y) and strides ``(A, 1)`` of every anchor point, level by level, row-major."""
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
    raw_boxes: np.ndarray, input_size: tuple[int, int], strides: tuple[int, ...] = STRIDES, index: np.ndarray | None = None
) -> np.ndarray:
    """Raw ``(A, 4)`` regressions -> ``xyxy`` boxes in network-input pixels.

    ``cx, cy = (raw_xy + cell) * stride``; ``w, h = exp(raw_wh) * stride``. With ``index``, ``raw_boxes``
    holds only those anchor points (decoding after the score filter is much cheaper).
    """
    grid, stride = anchor_grid(tuple(input_size), tuple(strides))
    if index is not None:
        grid, stride = grid[index], stride[index]
    if len(raw_boxes) != len(grid):
        raise FovealError(
            f"the network returned {len(raw_boxes)} anchor points; a {input_size[0]}x{input_size[1]} input with "
            f"strides {tuple(strides)} has {len(grid)}. Is this a YOLOX-style detector with that input size?"
        )
    xy = (raw_boxes[:, :2] + grid) * stride
    wh = np.exp(np.minimum(raw_boxes[:, 2:4], 20.0)) * stride
    return np.concatenate((xy - wh / 2, xy + wh / 2), axis=1)


# --------------------------------------------------------------------------- NMS
def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one ``xyxy`` box with each of ``boxes`` ``(N, 4)``."""
    x1 = np.maximum(box[0], boxes[:, 0])
    y1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[2], boxes[:, 2])
    y2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Greedy non-maximum suppression. Returns kept indices, highest score first.

    A box is dropped when its IoU with a higher-scoring kept box is *greater* than ``iou_threshold``.

    >>> b = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], np.float32)
    >>> nms(b, np.array([0.9, 0.8, 0.7]), 0.5).tolist()
    [0, 2]
    """
    boxes = np.asarray(boxes, np.float64)
    order = np.argsort(-np.asarray(scores), kind="stable")
    keep: list[int] = []
    while order.size:
        i = order[0]
        keep.append(int(i))
        if order.size == 1:
            break
        rest = order[1:]
        order = rest[box_iou(boxes[i], boxes[rest]) <= iou_threshold]
    return np.asarray(keep, np.int64)


def batched_nms(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Class-aware NMS: boxes of different classes never suppress each other.

    Each class's boxes are shifted to their own region of the plane (so one greedy pass does all
    classes at once). Returns kept indices, highest score first.
    """
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    boxes = np.asarray(boxes, np.float64)
    span = float(boxes.max() - min(boxes.min(), 0.0)) + 1.0
    shifted = boxes + (np.asarray(class_ids, np.float64) * span)[:, None]
    return nms(shifted, scores, iou_threshold)


# --------------------------------------------------------------------------- postprocessing
def postprocess(
    raw: np.ndarray,
    *,
    ratio: float,
    image_shape: tuple[int, int],
    input_size: tuple[int, int],
    labels: Sequence[str],
    conf: float = 0.25,
    iou: float = 0.45,
    class_filter: np.ndarray | None = None,
    max_det: int = 300,
    strides: tuple[int, ...] = STRIDES,
    model: str = "",
) -> Detections:
    """Raw ``(A, 5 + C)`` network output of one image -> :class:`Detections` in original pixels.

    Score of an anchor point = objectness x its best class probability (one class per box, like
    YOLOX); points under ``conf`` are dropped, ``class_filter`` (class ids) keeps only those classes,
    then class-aware NMS at ``iou`` and at most ``max_det`` boxes, best first.
    """
    if raw.ndim != 2 or raw.shape[1] < 6:
        raise FovealError(f"detector output has shape {raw.shape}; expected (anchors, 5 + classes)")
    cls = raw[:, 5:]
    best = cls.argmax(axis=1)
    score = raw[:, 4] * cls[np.arange(len(cls)), best]
    mask = score >= conf
    if class_filter is not None:
        mask &= np.isin(best, class_filter)
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return Detections.empty(model)
    boxes = decode_boxes(raw[idx, :4], input_size, strides, index=idx)
    scores, class_ids = score[idx], best[idx]
    keep = batched_nms(boxes, scores, class_ids, iou)[:max_det]
    h0, w0 = image_shape
    out = boxes[keep] / ratio
    np.clip(out[:, 0::2], 0, w0, out=out[:, 0::2])
    np.clip(out[:, 1::2], 0, h0, out=out[:, 1::2])
    ids = class_ids[keep].astype(np.int64)
    names = [labels[i] if i < len(labels) else str(i) for i in ids]
    return Detections(out.astype(np.float32), scores[keep].astype(np.float32), ids, names, model)


def resolve_classes(classes: str | Iterable[str | int] | None, labels: Sequence[str], model: str = "") -> np.ndarray | None:
    """Class names (case-insensitive; a comma-separated string works too) or ids -> sorted id array.

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
                raise ConfigError(f"class id {c} is out of range; {model or 'the model'} has {len(labels)} classes (0..{len(labels) - 1})")
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
            f"unknown class name(s) {', '.join(repr(u) for u in unknown)} for {model or 'this model'}. "
            + (" ".join(hints) + " " if hints else "")
            + f"Valid names: {', '.join(labels)}"
        )
    if not ids:
        raise ConfigError("classes is empty; pass at least one class name, or None for all classes")
    return np.asarray(sorted(ids), np.int64)


def check_thresholds(conf: float, iou: float, max_det: int) -> None:
    if not 0.0 <= float(conf) <= 1.0:
        raise ConfigError(f"conf must be between 0 and 1, got {conf}")
    if not 0.0 < float(iou) <= 1.0:
        raise ConfigError(f"iou must be in (0, 1], got {iou}")
    if int(max_det) < 1:
        raise ConfigError(f"max_det must be at least 1, got {max_det}")


# --------------------------------------------------------------------------- video
def is_video_file(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


def iter_video(path: str | os.PathLike, *, every: int = 1) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(frame_index, rgb_frame)`` for every ``every``-th frame of a video file (OpenCV)."""
    import cv2

    p = Path(path)
    if not p.is_file():
        raise ImageError(f"{p}: no such video file", str(p))
    if every < 1:
        raise ConfigError(f"every must be at least 1, got {every}")
    cap = cv2.VideoCapture(str(p))
    try:
        if not cap.isOpened():
            raise ImageError(f"{p} could not be opened as a video (unsupported codec or not a video)", str(p))
        index = 0
        got_any = False
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            got_any = True
            if index % every == 0:
                yield index, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            index += 1
        if not got_any:
            raise ImageError(f"{p} has no readable frames (corrupt or empty video)", str(p))
    finally:
        cap.release()


# --------------------------------------------------------------------------- predictor
def _meta_config(meta: dict[str, Any], path: Path) -> dict[str, Any]:
    if meta.get("task") != "detect":
        raise FovealError(
            f"{path} is not a foveal detection model (metadata task={meta.get('task')!r}); "
            "export one with 'foveal export yolox_nano.coco -o FILE.onnx' or 'foveal train detect'"
        )
    return {
        "name": str(meta.get("name") or path.stem),
        "labels": tuple(meta.get("labels", ())),
        "input_size": tuple(meta.get("input_size", (416, 416))),
        "strides": tuple(meta.get("strides", STRIDES)),
        "pad": int(meta.get("pad", PAD_VALUE)),
    }


class Detector:
    """Detect objects with a zoo model, a foveal detection ``.onnx`` file or a training run folder.

    Args:
        model: a zoo name (``yolox_nano.coco``), an ``.onnx`` exported by foveal, or a folder
            holding ``model.onnx`` (what ``foveal train detect`` writes).
        backend: ``"onnx"`` (ONNX Runtime, default) or ``"torch"`` (foveal's own PyTorch YOLOX with
            the same weights; zoo models only).
        weights: explicit weights file for a zoo model.
        threads: CPU threads for inference.

    >>> det = Detector()                                           # doctest: +SKIP
    >>> det.predict("astronaut.png").names                         # doctest: +SKIP
    ['person', ...]
    """

    def __init__(
        self,
        model: str | os.PathLike = DEFAULT_MODEL,
        *,
        backend: str = "onnx",
        weights: str | os.PathLike | None = None,
        threads: int | None = None,
    ) -> None:
        self.backend = check_backend(backend)
        self.spec: ModelSpec | None = None
        path = local_onnx(model)
        if path is not None and path.is_file():
            if backend != "onnx":
                raise ConfigError(f"{path} is an ONNX file; it runs with backend='onnx' only")
            from foveal.runtime import read_metadata

            cfg = _meta_config(read_metadata(path), path)
            self._runner: Any = OnnxModel(path, threads=threads)
        else:
            spec = get(os.fspath(model))
            if spec.task != "detect":
                raise ConfigError(f"{spec.name} is a {spec.task} model, not an object detector; see 'foveal models list --task detect'")
            self.spec = spec
            cfg = {
                "name": spec.name,
                "labels": spec.label_names(),
                "input_size": tuple(spec.preprocess.input_size),
                "strides": tuple(spec.extra.get("strides", STRIDES)),
                "pad": int(spec.extra.get("letterbox_pad", PAD_VALUE)),
            }
            if backend == "torch":
                from foveal.nn.detectors.yolox import load_pretrained

                self._runner = TorchModel(load_pretrained(spec, weights=weights), threads=threads)
            elif spec.weights.format == "onnx":
                self._runner = OnnxModel(resolve_weights(spec, weights), threads=threads)
            else:
                raise ConfigError(f"{spec.name} has {spec.weights.format} weights; run it with backend='torch'")
        self.name: str = cfg["name"]
        self.labels: tuple[str, ...] = cfg["labels"]
        self.input_size: tuple[int, int] = (int(cfg["input_size"][0]), int(cfg["input_size"][1]))
        self.strides: tuple[int, ...] = tuple(int(s) for s in cfg["strides"])
        self.pad: int = cfg["pad"]

    def __repr__(self) -> str:
        return f"Detector({self.name!r}, backend={self.backend!r}, classes={len(self.labels)}, input={self.input_size})"

    # -- building blocks (public, so benchmarks and tests can time or check each step)
    def preprocess(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        """RGB uint8 image -> ``(input tensor (3, h, w), ratio)``."""
        return letterbox(image, self.input_size, pad=self.pad)

    def forward(self, tensor: np.ndarray) -> np.ndarray:
        """Raw network output ``(A, 5 + C)`` for one preprocessed ``(3, h, w)`` tensor."""
        (out,) = self._runner.run(tensor[None].astype(np.float32, copy=False))[:1]
        return out[0]

    def class_ids(self, classes: str | Iterable[str | int] | None) -> np.ndarray | None:
        """Class names or ids -> ids (clear error for names this model does not know)."""
        return resolve_classes(classes, self.labels, self.name)

    def _post(self, raw: np.ndarray, ratio: float, shape: tuple[int, int], conf: float, iou: float,
              ids: np.ndarray | None, max_det: int) -> Detections:
        return postprocess(
            raw, ratio=ratio, image_shape=shape, input_size=self.input_size, labels=self.labels,
            conf=conf, iou=iou, class_filter=ids, max_det=max_det, strides=self.strides, model=self.name,
        )

    # -- prediction
    def predict(
        self,
        image: ImageSource,
        *,
        conf: float = 0.25,
        iou: float = 0.45,
        classes: str | Iterable[str | int] | None = None,
        max_det: int = 300,
    ) -> Detections:
        """Objects in one image (path, bytes, RGB array or PIL image), best first.

        Args:
            conf: minimum score (objectness x class probability).
            iou: NMS threshold; same-class boxes overlapping more than this are merged.
            classes: keep only these classes (names like ``["person", "car"]``, ``"person,car"`` or ids).
            max_det: at most this many boxes.
        """
        check_thresholds(conf, iou, max_det)
        ids = self.class_ids(classes)
        img = load_image(image)
        tensor, ratio = self.preprocess(img)
        return self._post(self.forward(tensor), ratio, img.shape[:2], conf, iou, ids, max_det)

    def _prep(self, source: ImageSource) -> tuple[np.ndarray, float, tuple[int, int]]:
        img = load_image(source)
        tensor, ratio = self.preprocess(img)
        return tensor, ratio, img.shape[:2]

    def predict_batch(
        self,
        images: Iterable[ImageSource],
        *,
        conf: float = 0.25,
        iou: float = 0.45,
        classes: str | Iterable[str | int] | None = None,
        max_det: int = 300,
        report: BatchReport | None = None,
        workers: int | None = None,
    ) -> Iterator[tuple[ImageSource, Detections]]:
        """Detect in many images, decoding and letterboxing in threads while the network runs.

        Unreadable images are skipped and added to ``report`` (or raise if no report is given).
        Results stream in input order.
        """
        check_thresholds(conf, iou, max_det)
        ids = self.class_ids(classes)
        for src, res in map_ordered(self._prep, images, workers=workers):
            if isinstance(res, BaseException):
                if report is None or not isinstance(res, FovealError):
                    raise res
                report.add_bad(src, res)
                continue
            if report is not None:
                report.ok += 1
            tensor, ratio, shape = res
            yield src, self._post(self.forward(tensor), ratio, shape, conf, iou, ids, max_det)

    def predict_video(
        self,
        path: str | os.PathLike,
        *,
        conf: float = 0.25,
        iou: float = 0.45,
        classes: str | Iterable[str | int] | None = None,
        max_det: int = 300,
        every: int = 1,
    ) -> Iterator[tuple[int, np.ndarray, Detections]]:
        """Yield ``(frame_index, rgb_frame, detections)`` for every ``every``-th frame of a video."""
        check_thresholds(conf, iou, max_det)
        ids = self.class_ids(classes)
        for index, frame in iter_video(path, every=every):
            tensor, ratio = self.preprocess(frame)
            yield index, frame, self._post(self.forward(tensor), ratio, frame.shape[:2], conf, iou, ids, max_det)


def export_detector(spec: ModelSpec, out: str | os.PathLike, *, weights: str | os.PathLike | None = None, net: Any = None) -> Any:
    """Export foveal's PyTorch YOLOX to ONNX (raw ``(1, A, 5 + C)`` output) with detection metadata.

    The exported file runs with ``Detector(path)``; parity with PyTorch is checked on export.
    """
    import torch

    from foveal.nn.detectors.yolox import load_pretrained
    from foveal.runtime.export import export_onnx

    if net is None:
        net = load_pretrained(spec, weights=weights)
    h, w = spec.preprocess.input_size
    gen = torch.Generator().manual_seed(0)
    sample = torch.rand(1, 3, h, w, generator=gen) * 255
    meta = {
        "name": spec.name,
        "task": "detect",
        "labels": list(spec.label_names()),
        "input_size": [h, w],
        "strides": list(spec.extra.get("strides", STRIDES)),
        "pad": int(spec.extra.get("letterbox_pad", PAD_VALUE)),
        "format": "yolox",
    }
    return export_onnx(
        net.eval(), sample, out, input_names=("images",), output_names=("output",),
        dynamic_axes={"images": {0: "batch"}, "output": {0: "batch"}}, metadata=meta, atol=1e-3,
    )
