"""The one interface every feature extractor follows, learned or hand-crafted.

An extractor has a ``name``, a fixed output size ``dim``, and ``extract(images) -> (N, dim)``
float32 rows (L2-normalised when ``normalized`` is true). Images are anything
:func:`foveal.io.load_image` accepts: paths, bytes, RGB/gray arrays, PIL images.

>>> from foveal.features import get_extractor
>>> hog = get_extractor("hog")
>>> hog.extract(["cat.jpg", "coffee.png"]).shape
(2, 1764)

Some extractors must learn something from data first (the SIFT bag-of-visual-words vocabulary):
they have ``needs_fit = True`` and a ``fit(images)`` method; their learned state travels with
``get_state()`` / ``set_state()`` (plain numpy arrays), so an index can store it.
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from foveal.errors import FovealError
from foveal.io import BatchReport, ImageSource, Item, load_image
from foveal.tasks.batching import chunked, map_ordered


def l2_normalize(x: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Rows of ``x`` scaled to unit length (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norms, eps)).astype(np.float32, copy=False)


class Extractor(ABC):
    """Base class. Subclasses set ``name``, ``dim`` and implement :meth:`_prepare` /
    :meth:`_compute`.

    ``_prepare(rgb_uint8) -> anything`` runs per image in worker threads (resize, grayscale ...);
    ``_compute(list_of_prepared) -> (n, dim)`` runs per batch and returns raw features, which the
    base class L2-normalises when ``normalized`` is true.
    """

    name: str = "extractor"
    dim: int = 0
    normalized: bool = True
    needs_fit: bool = False
    kind: str = "hand-crafted"

    # -- subclass hooks -------------------------------------------------------------------
    def _prepare(self, image: np.ndarray) -> Any:
        return image

    @abstractmethod
    def _compute(self, items: list[Any]) -> np.ndarray:
        """``(N, dim)`` float32 features of prepared items (each subclass's own computation)."""

    def params(self) -> dict[str, Any]:
        """The settings that change the output (an index refuses queries made with others)."""
        return {}

    def get_state(self) -> dict[str, np.ndarray]:
        """Learned state (empty unless ``needs_fit``)."""
        return {}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        if state:
            raise FovealError(f"extractor {self.name!r} has no learned state, got {sorted(state)}")

    @property
    def fitted(self) -> bool:
        return True

    # -- public API -------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        """Name, dim and params: what an index stores to recognise its extractor."""
        return {"name": self.name, "dim": int(self.dim), "params": self.params()}

    def signature(self) -> str:
        return json.dumps(self.describe(), sort_keys=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, dim={self.dim})"

    def _check_fitted(self) -> None:
        if not self.fitted:
            raise FovealError(
                f"extractor {self.name!r} must be fitted first: call .fit(images) on training "
                "images "
                "(or set_state(...) with a saved vocabulary)"
            )

    def _load_prepare(self, source: ImageSource | Item) -> Any:
        # an Item (a video frame, a PDF page) from foveal.io.iter_sources loads itself
        return self._prepare(source.load() if isinstance(source, Item) else load_image(source))

    def _finish(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=np.float32).reshape(len(raw), -1)
        if raw.shape[1] != self.dim:
            raise FovealError(
                f"{self.name} produced {raw.shape[1]} values per image, expected {self.dim}"
            )
        return l2_normalize(raw) if self.normalized else raw

    def extract(
        self, images: Sequence[ImageSource] | ImageSource, *, batch_size: int = 32
    ) -> np.ndarray:
        """Features of every image, ``(N, dim)`` float32. Raises ImageError on an unreadable image.

        A single image (path, array, ...) gives a ``(1, dim)`` array.
        """
        if isinstance(images, np.ndarray) and images.ndim in (2, 3) and images.dtype != object:
            if not (images.ndim == 3 and images.shape[2] not in (1, 3, 4)):
                images = [images]  # one image, not a stack of gray images
        elif not isinstance(images, (list, tuple, np.ndarray)):
            images = [images]
        self._check_fitted()
        out = [vec for _, vec in self.iter_extract(images, batch_size=batch_size)]
        if not out:
            return np.zeros((0, self.dim), np.float32)
        return np.stack(out).astype(np.float32, copy=False)

    def iter_extract(
        self,
        images: Iterable[ImageSource | Item],
        *,
        batch_size: int = 32,
        report: BatchReport | None = None,
        workers: int | None = None,
    ) -> Iterator[tuple[ImageSource | Item, np.ndarray]]:
        """Stream ``(source, vector)`` in input order. Bad images go to ``report`` (raise without
        one). :class:`foveal.io.Item` sources (video frames from :func:`foveal.io.iter_sources`)
        come back as given."""
        from foveal.errors import FovealError as _FE

        self._check_fitted()
        prepared = map_ordered(self._load_prepare, images, workers=workers)
        for chunk in chunked(prepared, batch_size):
            good = []
            for src, res in chunk:
                if isinstance(res, BaseException):
                    if report is None or not isinstance(res, _FE):
                        raise res
                    report.add_bad(src, res)
                    continue
                if report is not None:
                    report.ok += 1
                good.append((src, res))
            if not good:
                continue
            feats = self._finish(self._compute([x for _, x in good]))
            for (src, _), vec in zip(good, feats, strict=True):
                yield src, vec


def fit_images(files: Sequence[ImageSource], limit: int = 500) -> list[ImageSource]:
    """The readable files a vocabulary is learned from: an even, deterministic sample of at most
    about ``limit`` (every ``len(files) // limit``-th file), unreadable ones left out."""
    from foveal.errors import ImageError

    step = max(1, len(files) // limit)
    out = []
    for f in files[::step]:
        try:
            load_image(f)
        except ImageError:
            continue
        out.append(f)
    return out


def fit_sample(
    files: Sequence[ImageSource], every: int = 1, frames: int = 64, *, fps: float | None = None
) -> list[ImageSource]:
    """What a vocabulary is learned from: the readable images among ``files`` (an even sample,
    :func:`fit_images`), or, when they hold none, the first ``frames`` frames of the videos among
    them (every ``every``-th, or at about ``fps``; unreadable videos left out) as RGB arrays.

    >>> len(fit_sample(["cat.jpg", "coffee.png", "missing.jpg"]))
    2
    """
    from itertools import islice

    from foveal.io import is_pdf, is_video_file, iter_sources

    def many(f: ImageSource) -> bool:  # a video or PDF: many images in one file
        return isinstance(f, (str, os.PathLike)) and (is_video_file(f) or is_pdf(f))

    images = fit_images([f for f in files if not many(f)])
    if images:
        return images
    items = iter_sources([f for f in files if many(f)], every=every, report=BatchReport(), fps=fps)
    return [item.source for item in islice(items, frames)]
