"""Image classification: preprocessing, predictor (ONNX Runtime or PyTorch), postprocessing.

>>> from foveal.tasks.classification import Classifier
>>> clf = Classifier("mobilenet_v2.imagenet")           # doctest: +SKIP
>>> clf.predict("cat.jpg", top_k=3).names               # doctest: +SKIP
['tabby', 'tiger cat', 'Egyptian cat']
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from foveal.errors import ConfigError, FovealError
from foveal.io import BatchReport, ImageSource, load_image
from foveal.results import Classification
from foveal.runtime import OnnxModel, TorchModel, check_backend, local_onnx
from foveal.tasks.batching import chunked, map_ordered
from foveal.zoo import ModelSpec, Preprocess, get
from foveal.zoo.resolve import foveal_home, resolve_weights, sha256_file

DEFAULT_MODEL = "mobilenet_v2.imagenet"

_RESAMPLE = {
    "nearest": Image.NEAREST,
    "bilinear": Image.BILINEAR,
    "bicubic": Image.BICUBIC,
    "lanczos": Image.LANCZOS,
}


def preprocess(image: np.ndarray, pp: Preprocess) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> float32 (3, h, w), exactly like torchvision's
    ``Resize(resize) -> CenterCrop(input_size) -> ToTensor() -> Normalize(mean, std)`` on a PIL image.
    """
    if pp.interpolation not in _RESAMPLE:
        raise ConfigError(f"unknown interpolation {pp.interpolation!r}; choose one of {', '.join(_RESAMPLE)}")
    resample = _RESAMPLE[pp.interpolation]
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
    arr = np.asarray(pil, dtype=np.float32)
    if pp.channel_order == "BGR":
        arr = arr[..., ::-1]
    arr = arr * np.float32(pp.scale)
    arr = (arr - np.asarray(pp.mean, np.float32)) / np.asarray(pp.std, np.float32)
    return np.ascontiguousarray(arr.transpose(2, 0, 1))


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def topk(probs: np.ndarray, k: int, labels: tuple[str, ...], model: str) -> Classification:
    k = max(1, min(int(k), probs.shape[-1]))
    idx = np.argsort(-probs, kind="stable")[:k]
    names = [labels[i] if i < len(labels) else str(i) for i in idx]
    return Classification(class_ids=idx, scores=probs[idx], names=names, model=model)


class _Pooled:
    """Wrap a classifier so it returns ``(logits, embedding)`` — one graph for both outputs."""

    def __new__(cls, net: Any) -> Any:
        import torch

        class Pooled(torch.nn.Module):
            def __init__(self, inner: Any) -> None:
                super().__init__()
                self.inner = inner

            def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
                emb = self.inner.forward_head(self.inner.forward_features(x), pre_logits=True)
                return self.inner.classifier(emb), emb

        return Pooled(net)


def onnx_cache_path(spec: ModelSpec, weights_path: Path) -> Path:
    return foveal_home() / "onnx" / f"{spec.name}-{sha256_file(weights_path)[:10]}.onnx"


def export_classifier(spec: ModelSpec, out: str | os.PathLike, *, weights: str | os.PathLike | None = None, net: Any = None) -> Any:
    """Export a zoo classifier to ONNX with outputs ``logits`` and ``embedding`` and embedded metadata."""
    import torch

    from foveal.runtime.export import export_onnx
    from foveal.zoo.load import load_model

    if net is None:
        net = load_model(spec, weights=weights)
    h, w = spec.preprocess.input_size
    gen = torch.Generator().manual_seed(0)
    sample = torch.randn(1, 3, h, w, generator=gen)
    check = torch.randn(2, 3, h, w, generator=gen)
    meta = {
        "name": spec.name,
        "task": "classify",
        "labels": list(spec.label_names()),
        "preprocess": asdict(spec.preprocess),
    }
    return export_onnx(
        _Pooled(net.eval()),
        sample,
        out,
        input_names=("input",),
        output_names=("logits", "embedding"),
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}, "embedding": {0: "batch"}},
        metadata=meta,
        check_inputs=check,
    )


def _spec_from_metadata(meta: dict[str, Any], path: Path) -> tuple[str, Preprocess, tuple[str, ...]]:
    if meta.get("task") != "classify":
        raise FovealError(f"{path} is not a foveal classification model (metadata task={meta.get('task')!r})")
    pp = dict(meta["preprocess"])
    for key in ("input_size", "mean", "std"):
        pp[key] = tuple(pp[key])
    return str(meta.get("name") or path.stem), Preprocess(**pp), tuple(meta.get("labels", ()))


class Classifier:
    """Classify images with a zoo model, an exported ``.onnx`` file, or a training run folder.

    Args:
        model: a zoo name (``mobilenet_v2.imagenet``), a foveal ``.onnx`` file, or a folder holding
            ``model.onnx`` (what ``foveal train classify`` writes).
        backend: ``"onnx"`` (default, ONNX Runtime) or ``"torch"`` (PyTorch eager; zoo models only).
        weights: explicit weights file for a zoo model (skips the search).
        threads: CPU threads for inference.
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
        path = local_onnx(model)
        if path is not None and path.is_file():
            if backend != "onnx":
                raise ConfigError(f"{path} is an ONNX file; it runs with backend='onnx' only")
            self._runner: Any = OnnxModel(path, threads=threads)
            self.name, self.preprocess_cfg, self.labels = _spec_from_metadata(self._runner_meta(path), path)
            self.spec = None
            return
        spec = get(str(model))
        if spec.task != "classify":
            raise ConfigError(f"{spec.name} is a {spec.task} model, not an image classifier")
        self.spec = spec
        self.name = spec.name
        self.preprocess_cfg = spec.preprocess
        self.labels = spec.label_names()
        if backend == "torch":
            from foveal.zoo.load import load_model

            self._runner = TorchModel(_Pooled(load_model(spec, weights=weights)), threads=threads)
        else:
            wpath = resolve_weights(spec, weights)
            onnx_path = onnx_cache_path(spec, wpath)
            if not onnx_path.is_file():
                export_classifier(spec, onnx_path, weights=wpath)
            self._runner = OnnxModel(onnx_path, threads=threads)

    @staticmethod
    def _runner_meta(path: Path) -> dict[str, Any]:
        from foveal.runtime import read_metadata

        return read_metadata(path)

    def __repr__(self) -> str:
        return f"Classifier({self.name!r}, backend={self.backend!r}, classes={len(self.labels)})"

    def _forward(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        logits, emb = self._runner.run(batch.astype(np.float32, copy=False))
        return logits, emb

    def _prep(self, source: ImageSource) -> np.ndarray:
        return preprocess(load_image(source), self.preprocess_cfg)

    def predict(self, image: ImageSource, *, top_k: int = 5) -> Classification:
        """Top-k classes of one image (path, bytes, array or PIL image)."""
        logits, _ = self._forward(self._prep(image)[None])
        return topk(softmax(logits)[0], top_k, self.labels, self.name)

    def embed(self, image: ImageSource) -> np.ndarray:
        """The pooled penultimate features (``num_features``,) of one image, not normalised."""
        _, emb = self._forward(self._prep(image)[None])
        return emb[0]

    def predict_batch(
        self,
        images: Iterable[ImageSource],
        *,
        top_k: int = 5,
        batch_size: int = 8,
        report: BatchReport | None = None,
        workers: int | None = None,
    ) -> Iterator[tuple[ImageSource, Classification]]:
        """Classify many images, decoding in threads and running batches of ``batch_size``.

        Unreadable images are skipped and added to ``report`` (or raise if no report is given).
        Results stream in input order, so memory stays flat on any number of files.
        """
        prepared = map_ordered(self._prep, images, workers=workers)
        for chunk in chunked(_skip_bad(prepared, report), batch_size):
            logits, _ = self._forward(np.stack([x for _, x in chunk]))
            probs = softmax(logits)
            for (src, _), p in zip(chunk, probs, strict=True):
                yield src, topk(p, top_k, self.labels, self.name)


def _skip_bad(items: Iterable[tuple[Any, Any]], report: BatchReport | None) -> Iterator[tuple[Any, np.ndarray]]:
    for src, res in items:
        if isinstance(res, BaseException):
            if report is None or not isinstance(res, FovealError):
                raise res
            report.add_bad(src, res)
            continue
        if report is not None:
            report.ok += 1
        yield src, res


def describe(spec: ModelSpec) -> str:
    return json.dumps(spec.to_dict(), indent=2)
