"""Hand-crafted image descriptors: HOG, Gabor filter bank, LBP histograms, colour histograms.

Each is a :class:`foveal.features.Extractor`: fixed ``dim``, ``extract(images) -> (N, dim)``
float32, L2-normalised. Images are resized to a fixed ``size`` first so every image gives a
vector of the same length.

>>> from foveal.classic.descriptors import HOG
>>> HOG(size=(64, 64)).dim
1764
"""

from __future__ import annotations

from typing import Any

import numpy as np

from foveal.errors import ConfigError
from foveal.features.base import Extractor


def _gray(image: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """RGB uint8 -> uint8 gray, resized to ``size`` = (h, w) with area interpolation."""
    import cv2

    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    if size is not None and gray.shape[:2] != tuple(size):
        h, w = size
        interp = cv2.INTER_AREA if gray.shape[0] > h else cv2.INTER_LINEAR
        gray = cv2.resize(gray, (w, h), interpolation=interp)
    return np.ascontiguousarray(gray)


def _hellinger(hist: np.ndarray) -> np.ndarray:
    """L1-normalise then square-root a histogram (the Hellinger kernel as a dot product)."""
    hist = np.asarray(hist, np.float64)
    total = hist.sum(axis=-1, keepdims=True)
    return np.sqrt(hist / np.maximum(total, 1e-12))


class HOG(Extractor):
    """Histogram of Oriented Gradients (Dalal & Triggs 2005) on a gray image resized to ``size``.

    Uses OpenCV's ``HOGDescriptor`` (L2-Hys block normalisation).

    Args:
        size: (h, w) the image is resized to; must fit whole blocks.
        cell: cell side in pixels; blocks are 2x2 cells with a one-cell stride.
        bins: orientation bins (unsigned gradients, 0-180 degrees).
    """

    def __init__(self, size: tuple[int, int] = (64, 64), *, cell: int = 8, bins: int = 9) -> None:
        h, w = (int(v) for v in size)
        block = 2 * cell
        if h < block or w < block or (h - block) % cell or (w - block) % cell:
            raise ConfigError(
                f"HOG size {size} must be a multiple of cell={cell} and at least {block} pixels"
            )
        self.size, self.cell, self.bins = (h, w), int(cell), int(bins)
        self.name = "hog"
        self.dim = ((h - block) // cell + 1) * ((w - block) // cell + 1) * 4 * self.bins
        self._hog: Any = None

    def params(self) -> dict[str, Any]:
        return {"size": list(self.size), "cell": self.cell, "bins": self.bins}

    def _prepare(self, image: np.ndarray) -> np.ndarray:
        return _gray(image, self.size)

    def _compute(self, items: list[np.ndarray]) -> np.ndarray:
        import cv2

        if self._hog is None:
            h, w = self.size
            c = self.cell
            self._hog = cv2.HOGDescriptor((w, h), (2 * c, 2 * c), (c, c), (c, c), self.bins)
        return np.stack([self._hog.compute(g).reshape(-1) for g in items])


class Gabor(Extractor):
    """A Gabor filter bank: mean and standard deviation of each filter's response energy per cell.

    ``orientations`` x ``wavelengths`` filters; the image (gray, ``size``) is split into a
    ``grid`` x ``grid`` layout, giving ``2 * filters * grid**2`` values.
    """

    def __init__(
        self,
        size: tuple[int, int] = (64, 64),
        *,
        orientations: int = 4,
        wavelengths: tuple[float, ...] = (4.0, 8.0, 16.0),
        grid: int = 2,
    ) -> None:
        self.size = (int(size[0]), int(size[1]))
        self.orientations = int(orientations)
        self.wavelengths = tuple(float(w) for w in wavelengths)
        self.grid = int(grid)
        if self.grid < 1 or self.orientations < 1 or not self.wavelengths:
            raise ConfigError("Gabor needs at least one orientation, one wavelength and grid >= 1")
        self.name = "gabor"
        self.dim = 2 * self.orientations * len(self.wavelengths) * self.grid**2
        self._bank: list[np.ndarray] | None = None

    def params(self) -> dict[str, Any]:
        return {
            "size": list(self.size),
            "orientations": self.orientations,
            "wavelengths": list(self.wavelengths),
            "grid": self.grid,
        }

    def kernels(self) -> list[np.ndarray]:
        """The filter bank (real parts), one kernel per (wavelength, orientation)."""
        import cv2

        if self._bank is None:
            bank = []
            for lam in self.wavelengths:
                sigma = 0.56 * lam  # one-octave bandwidth
                k = int(2 * np.ceil(3 * sigma) + 1)
                for i in range(self.orientations):
                    theta = np.pi * i / self.orientations
                    kern = cv2.getGaborKernel((k, k), sigma, theta, lam, 1.0, 0.0, ktype=cv2.CV_32F)
                    kern -= kern.mean()  # no response to flat regions
                    bank.append(kern / np.abs(kern).sum())
            self._bank = bank
        return self._bank

    def _prepare(self, image: np.ndarray) -> np.ndarray:
        return _gray(image, self.size).astype(np.float32) / 255.0

    def _compute(self, items: list[np.ndarray]) -> np.ndarray:
        import cv2

        g = self.grid
        out = np.empty((len(items), self.dim), np.float32)
        for n, img in enumerate(items):
            h, w = img.shape
            hc, wc = h // g * g, w // g * g  # whole cells (a remainder row/column is left out)
            feats = []
            for kern in self.kernels():
                energy = np.abs(cv2.filter2D(img, cv2.CV_32F, kern, borderType=cv2.BORDER_REFLECT))
                cells = energy[:hc, :wc].reshape(g, hc // g, g, wc // g)
                feats.append(
                    np.stack([cells.mean(axis=(1, 3)), cells.std(axis=(1, 3))], axis=-1).ravel()
                )
            out[n] = np.concatenate(feats)
        return out


class LBP(Extractor):
    """Local Binary Pattern histograms (Ojala et al. 2002), uniform rotation-invariant codes,
    one histogram per cell of a ``grid`` x ``grid`` layout (the LBPH face descriptor layout).
    """

    def __init__(
        self,
        size: tuple[int, int] = (64, 64),
        *,
        points: int = 8,
        radius: float = 1.0,
        grid: int = 4,
    ) -> None:
        self.size = (int(size[0]), int(size[1]))
        self.points, self.radius, self.grid = int(points), float(radius), int(grid)
        if self.grid < 1 or self.points < 4:
            raise ConfigError("LBP needs points >= 4 and grid >= 1")
        self.name = "lbp"
        self.bins = self.points + 2  # uniform patterns 0..P, plus one bin for all non-uniform ones
        self.dim = self.bins * self.grid**2

    def params(self) -> dict[str, Any]:
        return {
            "size": list(self.size),
            "points": self.points,
            "radius": self.radius,
            "grid": self.grid,
        }

    def _prepare(self, image: np.ndarray) -> np.ndarray:
        import warnings

        from skimage.feature import local_binary_pattern

        gray = _gray(image, self.size)
        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore"
            )  # skimage warns about integer images; uint8 is what we want
            codes = local_binary_pattern(gray, self.points, self.radius, method="uniform")
        return codes.astype(np.int64)

    def _compute(self, items: list[np.ndarray]) -> np.ndarray:
        g, b = self.grid, self.bins
        out = np.empty((len(items), self.dim), np.float32)
        for n, codes in enumerate(items):
            h, w = codes.shape
            hists = []
            for r in range(g):
                for c in range(g):
                    cell = codes[r * h // g : (r + 1) * h // g, c * w // g : (c + 1) * w // g]
                    hists.append(_hellinger(np.bincount(cell.ravel(), minlength=b)[:b]))
            out[n] = np.concatenate(hists)
        return out


class ColorHistogram(Extractor):
    """A joint HSV colour histogram (``bins`` = hue, saturation, value), Hellinger-normalised."""

    def __init__(
        self, bins: tuple[int, int, int] = (8, 4, 4), *, size: tuple[int, int] = (128, 128)
    ) -> None:
        self.bins = tuple(int(b) for b in bins)
        if len(self.bins) != 3 or min(self.bins) < 1:
            raise ConfigError(f"colour histogram bins must be 3 positive numbers, got {bins}")
        self.size = (int(size[0]), int(size[1]))
        self.name = "color_hist"
        self.dim = int(np.prod(self.bins))

    def params(self) -> dict[str, Any]:
        return {"bins": list(self.bins), "size": list(self.size)}

    def _prepare(self, image: np.ndarray) -> np.ndarray:
        import cv2

        h, w = self.size
        small = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(small, cv2.COLOR_RGB2HSV)

    def _compute(self, items: list[np.ndarray]) -> np.ndarray:
        import cv2

        out = np.empty((len(items), self.dim), np.float32)
        for n, hsv in enumerate(items):
            hist = cv2.calcHist([hsv], [0, 1, 2], None, list(self.bins), [0, 180, 0, 256, 0, 256])
            out[n] = _hellinger(hist.ravel())
        return out
