"""A PyTorch dataset over ``(path, label)`` samples, decoded once and checked up front."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from foveal.errors import ImageError
from foveal.io import load_image
from foveal.tasks.batching import map_ordered

CACHE_LIMIT_BYTES = 2 * 1024**3


def _shrink(img: np.ndarray, short_side: int | None) -> np.ndarray:
    """Downscale so the shorter side is ``short_side`` (never upscale)."""
    if not short_side:
        return img
    h, w = img.shape[:2]
    s = min(h, w)
    if s <= short_side:
        return img
    nw, nh = max(1, round(w * short_side / s)), max(1, round(h * short_side / s))
    return np.asarray(Image.fromarray(img).resize((nw, nh), Image.BILINEAR))


def decode_all(
    samples: Sequence[tuple[Path, int]],
    *,
    short_side: int | None = None,
    keep: bool = True,
    workers: int | None = None,
) -> tuple[list[np.ndarray | None], list[tuple[Path, str]]]:
    """Decode every image once (in threads): the arrays (if ``keep``) and the unreadable files."""
    images: list[np.ndarray | None] = []
    bad: list[tuple[Path, str]] = []
    for (path, _), res in map_ordered(
        lambda s: _shrink(load_image(s[0]), short_side), samples, workers=workers
    ):
        if isinstance(res, BaseException):
            if not isinstance(res, ImageError):
                raise res
            bad.append((path, str(res)))
            images.append(None)
        else:
            images.append(res if keep else None)
    return images, bad


class ImageDataset:
    """``dataset[i] -> (transform(image), label)``; images come from memory when cached.

    Args:
        samples: ``(path, class index)`` pairs.
        transform: RGB ``uint8`` array -> tensor.
        images: decoded images aligned with ``samples`` (the cache), or None to read files each
            time.
    """

    def __init__(
        self,
        samples: Sequence[tuple[Path, int]],
        transform: Callable[[np.ndarray], Any],
        images: Sequence[np.ndarray | None] | None = None,
        short_side: int | None = None,
    ) -> None:
        self.samples = list(samples)
        self.transform = transform
        self.images = list(images) if images is not None else None
        self.short_side = short_side

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> tuple[Any, int]:
        path, label = self.samples[i]
        img = self.images[i] if self.images is not None else None
        if img is None:
            img = _shrink(load_image(path), self.short_side)
        return self.transform(img), label

    def labels(self) -> list[int]:
        return [label for _, label in self.samples]
