"""Face embedders: aligned face -> vector. Pluggable through the :class:`Embedder` protocol.

>>> from foveal.tasks.faces import FaceDetector, load_embedder
>>> from foveal.io import load_image
>>> img = load_image("astronaut.jpg")
>>> det, emb = FaceDetector(), load_embedder("dlib_resnet.v1")
>>> faces = det(img); vecs = emb.embed(img, faces)
>>> vecs.shape, emb.metric, emb.threshold
((1, 128), 'euclidean', 0.6)

Any object with ``name``, ``dim``, ``metric`` (``"euclidean"`` or ``"cosine"``), ``threshold``
(the distance under which two faces are the same person) and ``embed(image, faces)`` works with
:class:`foveal.gallery.Gallery` and :class:`foveal.tasks.faces.FaceRecognizer`.
:class:`OnnxEmbedder` runs any foveal ``face_embed`` network: a zoo name, a ``.onnx`` file (from
``foveal export`` or ``foveal train faces``) or a run folder; its metadata (:class:`EmbedParams`)
says how to cut and normalise the face chip. Files without foveal ``face_embed`` metadata are
refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from foveal.errors import ConfigError, FovealError, ModelFileError, WeightsNotFoundError
from foveal.results import Faces
from foveal.runtime import open_model
from foveal.tasks.faces.align import ARCFACE_112, align_face
from foveal.tasks.faces.export import export_dlib_onnx
from foveal.zoo import get
from foveal.zoo.meta import ModelMeta
from foveal.zoo.resolve import resolve_weights

DEFAULT_EMBEDDER = "dlib_resnet.v1"


@runtime_checkable
class Embedder(Protocol):
    """What the recogniser and the gallery need from a face embedder."""

    name: str
    dim: int
    metric: str
    threshold: float

    def embed(self, image: np.ndarray, faces: Faces) -> np.ndarray:
        """``(N, dim)`` float32 embeddings of the N faces of ``faces`` in the RGB ``image``."""


def distance(a: np.ndarray, b: np.ndarray, metric: str) -> np.ndarray:
    """Pairwise distances ``(N, D) x (M, D) -> (N, M)``: Euclidean, or cosine ``1 - cos``."""
    a = np.asarray(a, np.float32).reshape(-1, np.shape(a)[-1])
    b = np.asarray(b, np.float32).reshape(-1, np.shape(b)[-1])
    if metric == "euclidean":
        d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
        return np.sqrt(np.clip(d2, 0.0, None))
    if metric == "cosine":
        an = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
        bn = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
        return 1.0 - an @ bn.T
    raise ConfigError(f"unknown metric {metric!r}; expected 'euclidean' or 'cosine'")


def packaged_path(dist_name: str, file: str) -> Path | None:
    """A file shipped by an installed distribution, found through its metadata (never imported)."""
    try:
        dist = metadata.distribution(dist_name)
    except metadata.PackageNotFoundError:
        return None
    for f in dist.files or []:
        if f.name == file:
            p = Path(dist.locate_file(f))
            if p.is_file():
                return p
    return None


@dataclass(frozen=True)
class EmbedParams:
    """The ``face_embed`` parameters of a model's metadata.

    Attributes:
        embedder: the chip style: ``"dlib"`` (dlib's 150x150 template, pixels 0..255, raw output)
            or ``"arcface"`` (the 112x112 ArcFace template scaled to the chip,
            ``(x - 127.5) / 128``, L2-normalised output).
        dim: embedding size (0: read from the network's output).
        metric: ``"euclidean"`` or ``"cosine"``.
        threshold: the distance under which two faces are the same person.
        input_size: the chip side in files written before metadata had ``preprocess`` (0: use
            the metadata's ``preprocess.input_size``).
    """

    embedder: str = "arcface"
    dim: int = 0
    metric: str = "cosine"
    threshold: float = 0.5
    input_size: int = 0


STYLES = ("dlib", "arcface")


class OnnxEmbedder:
    """A foveal face embedder run by ONNX Runtime.

    Args:
        model: a zoo name (``dlib_resnet.v1``: dlib's weights converted once to ONNX, cached under
            ``$FOVEAL_HOME/onnx``), a foveal ``face_embed`` ``.onnx`` file or a run folder.
        threshold: same-person distance (default: the model's).
        weights: an explicit weights file for a zoo model.
        threads: ONNX Runtime intra-op threads.
    """

    backend = "onnx"

    def __init__(
        self,
        model: str | os.PathLike = DEFAULT_EMBEDDER,
        *,
        threshold: float | None = None,
        weights: str | os.PathLike | None = None,
        threads: int | None = None,
    ) -> None:
        opened = open_model(
            model, tasks={"face_embed"}, weights=weights, threads=threads, export=export_dlib_onnx
        )
        self.runner = opened.runner
        self.path = opened.path
        out = opened.runner.session.get_outputs()[0].shape
        self.configure(opened.meta, threshold, out[-1] if isinstance(out[-1], int) else 0)

    def configure(self, meta: ModelMeta, threshold: float | None, out_dim: int = 0) -> None:
        """Set ``name``, ``dim``, ``metric``, ``threshold``, chip ``size`` and style."""
        p = meta.params_as(EmbedParams)
        if p.embedder not in STYLES:
            raise ModelFileError(
                f"{meta.name}: unknown face chip style {p.embedder!r}; expected dlib or arcface"
            )
        if p.metric not in ("euclidean", "cosine"):
            raise ModelFileError(f"{meta.name}: unknown metric {p.metric!r}")
        self.name = meta.name
        self.style = p.embedder
        self.metric = p.metric
        self.size = int(p.input_size or meta.preprocess.input_size[0])
        self.dim = int(p.dim or out_dim)
        self.threshold = float(p.threshold if threshold is None else threshold)
        scale = self.size / 112.0
        self.template = None if self.style == "dlib" else ARCFACE_112 * scale

    def chips(self, image: np.ndarray, faces: Faces) -> list[np.ndarray]:
        """The aligned RGB chip of each face."""
        return [
            align_face(image, lm, size=self.size, template=self.template) for lm in faces.landmarks
        ]

    def embed(self, image: np.ndarray, faces: Faces) -> np.ndarray:
        """``(N, dim)`` float32 embeddings of the N faces of ``faces`` in the RGB ``image``."""
        if not len(faces):
            return np.zeros((0, self.dim), np.float32)
        return self.embed_chips(self.chips(image, faces))

    def chip_tensors(self, chips: list[np.ndarray]) -> np.ndarray:
        """The network input ``(N, 3, size, size)`` float32 of aligned RGB chips."""
        x = np.stack(chips).astype(np.float32)
        if self.style == "arcface":
            x = (x - 127.5) / 128.0
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2))

    def embed_chips(self, chips: list[np.ndarray]) -> np.ndarray:
        """Embeddings of already aligned RGB chips."""
        (out,) = self.runner.run(self.chip_tensors(chips))[:1]
        out = out.reshape(len(chips), -1).astype(np.float32)
        if self.style == "arcface":
            out = out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


class DlibEmbedder(OnnxEmbedder):
    """dlib's ResNet face descriptor (128-d, Euclidean; dlib's reference threshold 0.6).

    Faces are aligned by foveal (:func:`foveal.tasks.faces.align.align_face`, 150x150 dlib chip).

    Args:
        backend: ``"onnx"`` (default): the weights of dlib's ``.dat`` file converted once to ONNX
            (same descriptors to ~1e-6, ~10x faster, no dlib needed) and run by ONNX Runtime;
            ``"dlib"``: dlib's own implementation (``dlib-bin``).
        jitters: dlib backend only: average this many randomly jittered copies (slower).
        threshold: same-person distance (default 0.6).
        threads: ONNX Runtime intra-op threads (default ``FOVEAL_THREADS`` or all cores).
    """

    def __init__(
        self,
        model: str = DEFAULT_EMBEDDER,
        *,
        weights: str | os.PathLike | None = None,
        backend: str = "onnx",
        jitters: int = 0,
        threshold: float | None = None,
        threads: int | None = None,
    ) -> None:
        spec = get(model)
        if spec.weights.format != "dlib":
            raise ConfigError(f"{spec.name} is not a dlib model (format {spec.weights.format!r})")
        if backend not in ("onnx", "dlib"):
            raise ConfigError(f"unknown backend {backend!r} for {spec.name}; choose onnx or dlib")
        if jitters and backend != "dlib":
            raise ConfigError("jitters needs backend='dlib'")
        self.backend = backend
        self.jitters = int(jitters)
        try:
            if backend == "onnx":
                super().__init__(model, threshold=threshold, weights=weights, threads=threads)
                return
            path = resolve_weights(spec, weights)
        except WeightsNotFoundError as exc:
            hint = "(pip install face-recognition-models==0.3.0)"
            raise WeightsNotFoundError(f"{exc}\n{hint}") from exc
        try:
            import dlib
        except ImportError as exc:
            raise FovealError(
                "backend='dlib' needs dlib; install the prebuilt wheel with: "
                "pip install 'foveal[faces]' (dlib-bin, never compiled), or use backend='onnx'"
            ) from exc
        self._net = dlib.face_recognition_model_v1(str(path))
        self.configure(spec.meta, threshold)

    def embed_chips(self, chips: list[np.ndarray]) -> np.ndarray:
        if self.backend == "onnx":
            return super().embed_chips(chips)
        vecs = self._net.compute_face_descriptor(chips, num_jitters=self.jitters)
        return np.asarray([np.asarray(v) for v in vecs], np.float32).reshape(len(chips), self.dim)


def load_embedder(model: str | os.PathLike = DEFAULT_EMBEDDER, **kwargs: object) -> Embedder:
    """A face embedder: a zoo name, a foveal ``face_embed`` ``.onnx`` file or a run folder.
    ``backend``/``jitters`` choose dlib's own implementation (:class:`DlibEmbedder`)."""
    if "backend" in kwargs or "jitters" in kwargs:
        return DlibEmbedder(os.fspath(model), **kwargs)  # type: ignore[arg-type]
    return OnnxEmbedder(model, **kwargs)  # type: ignore[arg-type]
