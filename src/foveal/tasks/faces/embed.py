"""Face embedders: aligned face -> vector. Pluggable through the :class:`Embedder` protocol.

>>> from foveal.tasks.faces import FaceDetector, load_embedder
>>> det, emb = FaceDetector(), load_embedder("dlib_resnet.v1")      # doctest: +SKIP
>>> faces = det.detect(img); vecs = emb.embed(img, faces)          # doctest: +SKIP
>>> vecs.shape                                                     # doctest: +SKIP
(2, 128)

Any object with ``name``, ``dim``, ``metric`` (``"euclidean"`` or ``"cosine"``), ``threshold``
(the distance under which two faces are the same person) and ``embed(image, faces)`` works with
:class:`foveal.gallery.Gallery` and :class:`foveal.tasks.faces.FaceRecognizer`; :class:`OnnxEmbedder`
runs an ArcFace-style ONNX file (e.g. one exported by ``foveal train faces``).
"""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from foveal.errors import ConfigError, FovealError, WeightsNotFoundError
from foveal.results import Faces
from foveal.tasks.faces.align import ARCFACE_112, align_face

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
    """Pairwise distances ``(N, D) x (M, D) -> (N, M)``: Euclidean, or cosine distance ``1 - cos``."""
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


class DlibEmbedder:
    """dlib's ResNet face descriptor (128-d, Euclidean; dlib's reference threshold 0.6).

    Faces are aligned by foveal (:func:`foveal.tasks.faces.align.align_face`, 150x150 dlib chip).

    Args:
        backend: ``"onnx"`` (default): the weights of dlib's ``.dat`` file converted once to ONNX
            (cached in ``$FOVEAL_HOME/derived/``; same descriptors to ~1e-6, ~10x faster, no dlib
            needed) and run by ONNX Runtime; ``"dlib"``: dlib's own implementation (``dlib-bin``).
        jitters: dlib backend only: average this many randomly jittered copies (slower).
        threshold: same-person distance (default 0.6).
        threads: ONNX Runtime intra-op threads (default ``FOVEAL_THREADS`` or all cores).
    """

    dim = 128
    metric = "euclidean"

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
        from foveal.zoo import get
        from foveal.zoo.resolve import resolve_weights

        spec = get(model)
        if spec.weights.format != "dlib":
            raise ConfigError(f"{spec.name} is not a dlib model (format {spec.weights.format!r})")
        if backend not in ("onnx", "dlib"):
            raise ConfigError(f"unknown backend {backend!r} for {spec.name}; choose onnx or dlib")
        if jitters and backend != "dlib":
            raise ConfigError("jitters needs backend='dlib'")
        try:
            path = resolve_weights(spec, weights)
        except WeightsNotFoundError as exc:
            raise WeightsNotFoundError(f"{exc}\n(pip install face-recognition-models==0.3.0)") from exc
        self.name = spec.name
        self.backend = backend
        self.size = int(spec.preprocess.input_size[0])
        self.threshold = float(spec.extra.get("threshold", 0.6) if threshold is None else threshold)
        self.jitters = int(jitters)
        if backend == "onnx":
            from foveal.runtime import OnnxModel
            from foveal.tasks.faces.dlib_resnet import convert_to_onnx

            self._onnx = OnnxModel(convert_to_onnx(path), threads=threads)
            return
        try:
            import dlib
        except ImportError as exc:
            raise FovealError(
                "backend='dlib' needs dlib; install the prebuilt wheel with: pip install 'foveal[faces]' "
                "(dlib-bin, never compiled), or use backend='onnx'"
            ) from exc
        self._net = dlib.face_recognition_model_v1(str(path))

    def chips(self, image: np.ndarray, faces: Faces) -> list[np.ndarray]:
        return [align_face(image, lm, size=self.size) for lm in faces.landmarks]

    def embed(self, image: np.ndarray, faces: Faces) -> np.ndarray:
        if not len(faces):
            return np.zeros((0, self.dim), np.float32)
        return self.embed_chips(self.chips(image, faces))

    def embed_chips(self, chips: list[np.ndarray]) -> np.ndarray:
        """Descriptors of already aligned 150x150 RGB chips."""
        if self.backend == "onnx":
            x = np.stack(chips).astype(np.float32).transpose(0, 3, 1, 2)
            return self._onnx.run(np.ascontiguousarray(x))[0].astype(np.float32).reshape(len(chips), self.dim)
        vecs = self._net.compute_face_descriptor(chips, num_jitters=self.jitters)
        return np.asarray([np.asarray(v) for v in vecs], np.float32).reshape(len(chips), self.dim)


class OnnxEmbedder:
    """An ArcFace-style ONNX embedder: 112x112 aligned RGB chip, ``(x - 127.5) / 128``, NCHW,
    output ``(N, D)``, L2-normalised, cosine distance.

    Args:
        path: the ``.onnx`` file (foveal metadata, if present, may set ``threshold``/``input_size``).
        threshold: cosine distance under which two faces match (default 0.5, or the file's).
    """

    metric = "cosine"

    def __init__(self, path: str | os.PathLike, *, threshold: float | None = None) -> None:
        from foveal.runtime import OnnxModel, read_metadata

        self.path = Path(path)
        self._model = OnnxModel(self.path)
        meta = read_metadata(self.path)
        shape = self._model.input_shapes[0]
        self.size = int(meta.get("input_size", shape[-1] if isinstance(shape[-1], int) else 112))
        self.name = str(meta.get("name", self.path.stem))
        self.threshold = float(threshold if threshold is not None else meta.get("threshold", 0.5))
        out = self._model.session.get_outputs()[0].shape
        self.dim = int(meta.get("dim", out[-1] if isinstance(out[-1], int) else 0))
        self._template = ARCFACE_112 * (self.size / 112.0)

    def embed(self, image: np.ndarray, faces: Faces) -> np.ndarray:
        if not len(faces):
            return np.zeros((0, self.dim), np.float32)
        chips = np.stack([align_face(image, lm, size=self.size, template=self._template) for lm in faces.landmarks])
        x = ((chips.astype(np.float32) - 127.5) / 128.0).transpose(0, 3, 1, 2)
        (out,) = self._model.run(np.ascontiguousarray(x))[:1]
        out = out.reshape(len(chips), -1).astype(np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def load_embedder(model: str | os.PathLike = DEFAULT_EMBEDDER, **kwargs: object) -> Embedder:
    """A zoo face embedder by name, or an ArcFace-style ``.onnx`` file."""
    text = os.fspath(model)
    if text.endswith(".onnx"):
        return OnnxEmbedder(text, **kwargs)  # type: ignore[arg-type]
    return DlibEmbedder(text, **kwargs)  # type: ignore[arg-type]
