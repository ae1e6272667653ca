"""SIFT bag of visual words (Csurka et al. 2004): SIFT descriptors quantised by a k-means
vocabulary.

>>> from foveal.classic.bovw import SiftBoVW
>>> bovw = SiftBoVW(words=32, seed=0)
>>> bovw.fit(["cat.jpg", "coffee.png"])           # learns the vocabulary
SiftBoVW(name='sift_bovw', dim=32)
>>> feats = bovw.extract(["astronaut.jpg", "cat.jpg"])
>>> feats.shape, np.linalg.norm(feats, axis=1).round(3)     # Hellinger-normalised histograms
((2, 32), array([1., 1.], dtype=float32))

Descriptors are RootSIFT (L1, square root); keypoints come from the SIFT detector, or from a dense
grid (``dense_step``), which suits small images such as 28x28 digits. Each image becomes a
histogram of visual words, Hellinger-normalised (square root of the L1-normalised counts).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from foveal.errors import ConfigError, FovealError
from foveal.features.base import Extractor
from foveal.io import ImageSource


class SiftBoVW(Extractor):
    """SIFT bag-of-visual-words.

    Args:
        words: vocabulary size (k-means clusters).
        size: images are resized so their longer side is ``max_side`` (detector) or to exactly
            ``size`` = (h, w) when given (dense grids need a fixed size).
        dense_step: ``None`` for SIFT keypoints, or the step in pixels of a dense keypoint grid.
        patch: keypoint diameter for the dense grid.
        max_keypoints: detector keypoints kept per image (strongest first).
        seed: k-means seed (results are reproducible).
    """

    def __init__(
        self,
        words: int = 256,
        *,
        size: tuple[int, int] | None = None,
        max_side: int = 320,
        dense_step: int | None = None,
        patch: float = 8.0,
        max_keypoints: int = 400,
        seed: int = 0,
    ) -> None:
        if words < 2:
            raise ConfigError(f"a vocabulary needs at least 2 words, got {words}")
        if dense_step is not None and size is None:
            raise ConfigError("a dense SIFT grid needs a fixed image size: pass size=(h, w)")
        self.words = int(words)
        self.size = (int(size[0]), int(size[1])) if size else None
        self.max_side = int(max_side)
        self.dense_step = int(dense_step) if dense_step else None
        self.patch = float(patch)
        self.max_keypoints = int(max_keypoints)
        self.seed = int(seed)
        self.name = "sift_bovw"
        self.dim = self.words
        self.needs_fit = True
        self.vocabulary: np.ndarray | None = None
        self._local = threading.local()

    def params(self) -> dict[str, Any]:
        return {
            "words": self.words,
            "size": list(self.size) if self.size else None,
            "max_side": self.max_side,
            "dense_step": self.dense_step,
            "patch": self.patch,
            "max_keypoints": self.max_keypoints,
            "seed": self.seed,
        }

    @property
    def fitted(self) -> bool:
        return self.vocabulary is not None

    def get_state(self) -> dict[str, np.ndarray]:
        return {} if self.vocabulary is None else {"vocabulary": self.vocabulary}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        vocab = np.asarray(state["vocabulary"], np.float32)
        if vocab.shape != (self.words, 128):
            raise FovealError(
                f"a SIFT vocabulary of shape {vocab.shape} does not fit words={self.words}"
            )
        self.vocabulary = vocab

    # -- descriptors ------------------------------------------------------------------------
    def _gray(self, image: np.ndarray) -> np.ndarray:
        import cv2

        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
        h, w = gray.shape
        if self.size is not None:
            th, tw = self.size
        else:
            scale = self.max_side / max(h, w)
            th, tw = max(1, round(h * scale)), max(1, round(w * scale))
        if (th, tw) != (h, w):
            interp = cv2.INTER_AREA if th < h else cv2.INTER_LINEAR
            gray = cv2.resize(gray, (tw, th), interpolation=interp)
        return gray

    def descriptors(self, image: np.ndarray) -> np.ndarray:
        """RootSIFT descriptors ``(n, 128)`` float32 of one RGB/gray uint8 image (n may be 0)."""
        import cv2

        sift = getattr(self._local, "sift", None)
        if sift is None:  # one per thread: decoding and description run in worker threads
            sift = self._local.sift = cv2.SIFT_create(nfeatures=self.max_keypoints)
        gray = self._gray(image)
        if self.dense_step:
            h, w = gray.shape
            half = self.patch / 2
            kps = [
                cv2.KeyPoint(float(x), float(y), self.patch)
                for y in np.arange(half, h - half + 1e-6, self.dense_step)
                for x in np.arange(half, w - half + 1e-6, self.dense_step)
            ]
            _, desc = sift.compute(gray, kps)
        else:
            _, desc = sift.detectAndCompute(gray, None)
        if desc is None or len(desc) == 0:
            return np.zeros((0, 128), np.float32)
        desc = desc.astype(np.float32)
        desc /= np.maximum(desc.sum(axis=1, keepdims=True), 1e-12)
        return np.sqrt(desc)

    def fit(self, images: Sequence[ImageSource], *, max_descriptors: int = 30_000) -> SiftBoVW:
        """Learn the vocabulary with k-means on descriptors of ``images`` (sampled, seeded)."""
        from foveal.io import load_image

        return self.fit_descriptors(
            [self.descriptors(load_image(src)) for src in images], max_descriptors=max_descriptors
        )

    def fit_descriptors(
        self, descs: Sequence[np.ndarray], *, max_descriptors: int = 30_000
    ) -> SiftBoVW:
        """Learn the vocabulary from per-image descriptor arrays (see :meth:`descriptors`)."""
        rng = np.random.default_rng(self.seed)
        per_image = max(8, max_descriptors // max(1, len(descs)))
        chunks = []
        for d in descs:
            if len(d) > per_image:
                d = d[np.sort(rng.choice(len(d), per_image, replace=False))]
            chunks.append(d)
        desc = np.concatenate(chunks) if chunks else np.zeros((0, 128), np.float32)
        if len(desc) > max_descriptors:
            desc = desc[np.sort(rng.choice(len(desc), max_descriptors, replace=False))]
        if len(desc) < self.words:
            raise FovealError(
                f"{len(desc)} SIFT descriptors from {len(descs)} image(s) cannot make {self.words} "
                "visual words; give more (or larger) images or fewer words"
            )
        self.vocabulary = kmeans(desc, self.words, seed=self.seed)
        return self

    def encode(self, descs: Sequence[np.ndarray]) -> np.ndarray:
        """Bag-of-words vectors ``(N, words)`` of per-image descriptor arrays, L2-normalised."""
        self._check_fitted()
        return self._finish(self._compute(list(descs)))

    # -- encoding ---------------------------------------------------------------------------
    def _prepare(self, image: np.ndarray) -> np.ndarray:
        return self.descriptors(image)

    def _compute(self, items: list[np.ndarray]) -> np.ndarray:
        vocab = self.vocabulary
        assert vocab is not None
        c2 = (vocab**2).sum(axis=1)
        out = np.zeros((len(items), self.words), np.float32)
        for n, desc in enumerate(items):
            if len(desc) == 0:
                continue
            dist = c2[None, :] - 2.0 * desc @ vocab.T
            counts = np.bincount(dist.argmin(axis=1), minlength=self.words).astype(np.float64)
            out[n] = np.sqrt(counts / counts.sum())
        return out


def kmeans(
    x: np.ndarray, k: int, *, seed: int = 0, iters: int = 20, init_sample: int = 20_000
) -> np.ndarray:
    """Lloyd's k-means with k-means++ seeding (on a sample), numpy only; returns ``(k, d)`` centres.

    Deterministic for a given seed. Empty clusters are re-seeded with the points farthest from
    their centres.
    """
    rng = np.random.default_rng(seed)
    x = np.ascontiguousarray(x, np.float32)
    n = len(x)
    x2 = (x**2).sum(axis=1)
    # k-means++ on a sample
    sample = x[rng.choice(n, min(n, init_sample), replace=False)]
    s2 = (sample**2).sum(axis=1)
    centres = np.empty((k, x.shape[1]), np.float32)
    centres[0] = sample[rng.integers(len(sample))]
    closest = np.maximum(s2 - 2 * sample @ centres[0] + centres[0] @ centres[0], 0)
    for i in range(1, k):
        total = closest.sum()
        j = rng.choice(len(sample), p=closest / total) if total > 0 else rng.integers(len(sample))
        centres[i] = sample[j]
        closest = np.minimum(
            closest, np.maximum(s2 - 2 * sample @ centres[i] + centres[i] @ centres[i], 0)
        )
    for _ in range(iters):
        dist = x2[:, None] - 2 * x @ centres.T + (centres**2).sum(axis=1)[None, :]
        labels = dist.argmin(axis=1)
        counts = np.bincount(labels, minlength=k)
        order = np.argsort(labels, kind="stable")
        filled = counts > 0
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[filled]
        new = centres.copy()
        new[filled] = np.add.reduceat(x[order], starts, axis=0) / counts[filled, None]
        if (~filled).any():
            far = np.argsort(-dist[np.arange(n), labels])[: int((~filled).sum())]
            new[~filled] = x[far]
        if np.allclose(new, centres, atol=1e-6):
            centres = new
            break
        centres = new
    return centres
