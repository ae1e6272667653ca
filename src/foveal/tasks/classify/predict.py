"""Image classification: the torchvision-exact preprocessing, softmax + top-k, pooled embeddings.

>>> from foveal.tasks.classify import Classifier
>>> clf = Classifier("mobilenet_v2.imagenet")
>>> clf("cat.jpg", top_k=3).names
['Egyptian cat', 'tabby', 'tiger cat']
>>> clf.embed(["cat.jpg", "coffee.png"]).shape
(2, 1280)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from foveal.errors import ConfigError
from foveal.io import Sources, is_single_source, iter_sources
from foveal.ops import to_tensor
from foveal.results import Classification
from foveal.tasks.batching import chunked, map_ordered
from foveal.tasks.predictor import NetworkPredictor
from foveal.zoo import ModelSpec, Preprocess

DEFAULT_MODEL = "mobilenet_v2.imagenet"

RESAMPLE = {
    "nearest": Image.NEAREST,
    "bilinear": Image.BILINEAR,
    "bicubic": Image.BICUBIC,
    "lanczos": Image.LANCZOS,
}


def preprocess(image: np.ndarray, pp: Preprocess) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> float32 (3, h, w), exactly like torchvision's
    ``Resize(resize) -> CenterCrop(input_size) -> ToTensor() -> Normalize(mean, std)`` on a PIL
    image.

    >>> from foveal.zoo import Preprocess
    >>> preprocess(np.zeros((300, 400, 3), np.uint8), Preprocess()).shape
    (3, 224, 224)
    """
    if pp.interpolation not in RESAMPLE:
        raise ConfigError(
            f"unknown interpolation {pp.interpolation!r}; choose one of {', '.join(RESAMPLE)}"
        )
    resample = RESAMPLE[pp.interpolation]
    th, tw = pp.input_size
    pil = Image.fromarray(image)
    w, h = pil.size
    if pp.resize and pp.crop:
        if w <= h:
            nw, nh = pp.resize, int(pp.resize * h / w)
        else:
            nw, nh = int(pp.resize * w / h), pp.resize
        if (nw, nh) != (w, h):
            pil = pil.resize((nw, nh), resample)
    elif not pp.crop:
        pil = pil.resize((tw, th), resample)
    if pp.crop:
        w, h = pil.size
        if w < tw or h < th:
            pil = pil.resize((max(w, tw), max(h, th)), resample)
            w, h = pil.size
        top = int(round((h - th) / 2.0))
        left = int(round((w - tw) / 2.0))
        pil = pil.crop((left, top, left + tw, top + th))
    std = np.asarray(pp.std, np.float32)
    return to_tensor(
        np.asarray(pil),
        gain=np.float32(pp.scale) / std,
        offset=-np.asarray(pp.mean, np.float32) / std,
        reverse=pp.channel_order == "BGR",
    )


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities along the last axis.

    >>> softmax(np.array([0.0, 0.0])).tolist()
    [0.5, 0.5]
    """
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def topk(probs: np.ndarray, k: int, labels: tuple[str, ...], model: str) -> Classification:
    """The ``k`` most probable classes of one probability vector, best first (stable on ties)."""
    k = max(1, min(int(k), probs.shape[-1]))
    idx = np.argsort(-probs, kind="stable")[:k]
    names = [labels[i] if i < len(labels) else str(i) for i in idx]
    return Classification(class_ids=idx, scores=probs[idx], names=names, model=model)


class Classifier(NetworkPredictor[Classification]):
    """Classify images with a zoo model, an exported ``.onnx`` file, or a training run folder.

    The network returns ``(logits, embedding)``: :meth:`predict` and friends give the top-k
    classes, :meth:`embed` the pooled penultimate features.

    Args:
        model: a zoo name (``mobilenet_v2.imagenet``), a foveal ``.onnx`` file, or a folder holding
            ``model.onnx`` (what ``foveal train classify`` writes).
        backend: ``"onnx"`` (default, ONNX Runtime) or ``"torch"`` (PyTorch eager; zoo models only).
        weights: explicit weights file for a zoo model (skips the search).
        threads: CPU threads for inference.
        precision: ``"fp32"`` or ``"int8"`` (static QDQ quantisation, ONNX backend).
        calibrate: the images int8 calibrates on: a folder, or ``None`` for the default set.
    """

    @dataclass(frozen=True)
    class Options:
        """Call options: ``top_k`` classes per image, best first; ``tta``: average the class
        probabilities of the image and its horizontal mirror (test-time augmentation; not for
        orientation-sensitive classes such as text or digits)."""

        top_k: int = 5
        tta: bool = False

    task: ClassVar[str] = "classify"
    batch_size: ClassVar[int] = 2
    default_model: ClassVar[str] = DEFAULT_MODEL

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        *,
        backend: str = "onnx",
        weights: str | os.PathLike | None = None,
        threads: int | None = None,
        precision: str = "fp32",
        calibrate: str | os.PathLike | None = None,
    ) -> None:
        super().__init__(model, backend=backend, weights=weights, threads=threads)
        self.preprocess_cfg: Preprocess = self.meta.preprocess
        self.use_precision(precision, calibrate)

    def __repr__(self) -> str:
        return f"Classifier({self.name!r}, backend={self.backend!r}, classes={len(self.labels)})"

    # -- opening zoo models
    @staticmethod
    def export(spec: ModelSpec, out: Path, weights_path: Path) -> Any:
        from foveal.tasks.classify.export import export_classifier

        return export_classifier(spec, out, weights_path)

    @staticmethod
    def build_torch(spec: ModelSpec, weights: str | os.PathLike | None) -> Any:
        from foveal.tasks.classify.export import pooled_zoo_classifier

        return pooled_zoo_classifier(spec, weights)

    # -- the task's steps
    def check_options(self, options: Classifier.Options) -> Classifier.Options:
        if int(options.top_k) < 1:
            raise ConfigError(f"top_k must be at least 1, got {options.top_k}")
        return options

    def preprocess(self, image: np.ndarray) -> tuple[np.ndarray, None]:
        return preprocess(image, self.preprocess_cfg), None

    def postprocess(
        self, outputs: list[np.ndarray], context: None, options: Classifier.Options
    ) -> Classification:
        return topk(softmax(outputs[0]), options.top_k, self.labels, self.name)

    def run(self, prepared: list[tuple[np.ndarray, None]], options: Classifier.Options) -> list:
        """Batched inference; with ``options.tta`` each batch also runs mirrored."""
        if not options.tta:
            return super().run(prepared, options)
        results: list[Classification] = []
        for group in chunked(prepared, self.max_batch or max(1, len(prepared))):
            x = np.stack([t for t, _ in group])
            probs = softmax(self.forward(x)[0]) + softmax(
                self.forward(np.ascontiguousarray(x[..., ::-1]))[0]
            )
            results += [topk(p / 2, options.top_k, self.labels, self.name) for p in probs]
        return results

    # -- features
    def logits_and_embeddings(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(logits (N, classes), embeddings (N, D))`` of a preprocessed ``(N, 3, h, w)`` batch
        (stack what :meth:`prepare` returns)."""
        logits, emb = self.forward(batch)[:2]
        return logits, emb

    def embed(
        self, sources: Sources, *, batch_size: int | None = None, workers: int | None = None
    ) -> np.ndarray:
        """The pooled penultimate features, not normalised: ``(D,)`` for one image, ``(N, D)`` for
        many (a list, folder, glob, video or PDF), computed in batches. Bad inputs raise."""
        if is_single_source(sources):
            item = next(iter_sources(sources))
            return self.logits_and_embeddings(self.preprocess(item.load())[0][None])[1][0]
        size = int(batch_size or self.batch_size)
        prepared = map_ordered(
            lambda it: self.preprocess(it.load())[0], iter_sources(sources), workers=workers
        )
        rows: list[np.ndarray] = []
        for chunk in chunked(prepared, size):
            for _, res in chunk:
                if isinstance(res, BaseException):
                    raise res
            rows.append(self.logits_and_embeddings(np.stack([x for _, x in chunk]))[1])
        if not rows:
            h, w = self.preprocess_cfg.input_size
            dim = self.logits_and_embeddings(np.zeros((1, 3, h, w), np.float32))[1].shape[1]
            return np.zeros((0, dim), np.float32)
        return np.concatenate(rows)
