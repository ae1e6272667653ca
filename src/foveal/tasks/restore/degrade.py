"""Degradations applied on the fly to clean images, for training restoration networks.

A spec is a comma-separated list such as ``gaussian:25,jpeg:20,blur,stripes,rings``; every image
gets each listed degradation in that order. Images are float32 ``(H, W, C)`` in [0, 1].

* ``gaussian[:SIGMA]`` additive white Gaussian noise, sigma on the 0-255 scale (default 25;
  ``gaussian:10-40`` draws sigma uniformly per image)
* ``jpeg[:QUALITY]`` JPEG compression at that quality (default 20)
* ``blur[:SIGMA]`` Gaussian blur, sigma in pixels (default 1.0)
* ``stripes[:STRENGTH]`` column offsets, as CT detector miscalibration leaves them (default 0.05)
* ``rings[:STRENGTH]`` rings around the image centre (stripes in polar coordinates), as CT ring
  artifacts (default 0.05)

>>> import numpy as np
>>> steps = parse_degradations("gaussian:25,stripes")
>>> [s.name for s in steps]
['gaussian', 'stripes']
>>> out = apply_degradations(np.full((32, 32, 3), 0.5, np.float32), steps, np.random.default_rng(0))
>>> out.shape, round(float(out.std()), 2) > 0.05
((32, 32, 3), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from foveal.errors import ConfigError

DEFAULTS: dict[str, float] = {
    "gaussian": 25.0,
    "jpeg": 20.0,
    "blur": 1.0,
    "stripes": 0.05,
    "rings": 0.05,
}
LIMITS: dict[str, tuple[float, float]] = {
    "gaussian": (0.0, 255.0),
    "jpeg": (1.0, 100.0),
    "blur": (0.1, 20.0),
    "stripes": (0.0, 1.0),
    "rings": (0.0, 1.0),
}


@dataclass(frozen=True)
class Degradation:
    """One step: ``name`` and its strength range ``(low, high)`` (equal for a fixed value)."""

    name: str
    low: float
    high: float

    def draw(self, rng: np.random.Generator) -> float:
        return self.low if self.low == self.high else float(rng.uniform(self.low, self.high))


def parse_degradations(spec: str) -> list[Degradation]:
    """Parse ``"gaussian:25,jpeg:20,blur"``; a bad spec is one clear :class:`ConfigError`."""
    steps: list[Degradation] = []
    for part in (p.strip() for p in str(spec).split(",")):
        if not part:
            continue
        name, _, value = part.partition(":")
        name = name.strip().lower()
        if name not in DEFAULTS:
            raise ConfigError(
                f"unknown degradation {name!r} in {spec!r}; expected some of "
                f"{', '.join(DEFAULTS)} (e.g. --degrade gaussian:25,jpeg:20,blur,stripes,rings)"
            )
        low = high = DEFAULTS[name]
        if value:
            try:
                lo_s, sep, hi_s = value.partition("-")
                low = float(lo_s)
                high = float(hi_s) if sep else low
            except ValueError:
                raise ConfigError(
                    f"degradation {part!r}: {value!r} is not a number or a range like 10-40"
                ) from None
        lo_ok, hi_ok = LIMITS[name]
        if not (lo_ok <= low <= high <= hi_ok):
            raise ConfigError(
                f"degradation {part!r}: strength must be within {lo_ok:g}..{hi_ok:g} "
                "(a range low-high with low <= high)"
            )
        steps.append(Degradation(name, low, high))
    if not steps:
        raise ConfigError(f"no degradation given in {spec!r}; e.g. --degrade gaussian:25")
    return steps


def apply_degradations(
    image: np.ndarray, steps: list[Degradation], rng: np.random.Generator
) -> np.ndarray:
    """``image`` (float32 ``(H, W, C)`` in [0, 1]) with every step applied, in order."""
    out = np.asarray(image, np.float32)
    for step in steps:
        out = _APPLY[step.name](out, step.draw(rng), rng)
    return out.astype(np.float32, copy=False)


def _gaussian(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    return img + rng.standard_normal(img.shape, dtype=np.float32) * np.float32(sigma / 255.0)


def _jpeg(img: np.ndarray, quality: float, rng: np.random.Generator) -> np.ndarray:
    import cv2

    u8 = np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", u8, [cv2.IMWRITE_JPEG_QUALITY, int(round(quality))])
    dec = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return dec.reshape(img.shape).astype(np.float32) / 255.0


def _blur(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(img, (0, 0), sigma).reshape(img.shape)


def _profile(n: int, strength: float, rng: np.random.Generator) -> np.ndarray:
    """Offsets per column (or radius): sparse strong lines over weak noise."""
    prof = rng.standard_normal(n).astype(np.float32) * strength * 0.3
    hits = rng.random(n) < 0.08
    prof[hits] += rng.uniform(-strength, strength, int(hits.sum())).astype(np.float32) * 2
    return prof


def _stripes(img: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    prof = _profile(img.shape[1], strength, rng)
    return img + prof[None, :, None]


def _rings(img: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    radius = np.hypot(yy - (h - 1) / 2, xx - (w - 1) / 2)
    prof = _profile(int(radius.max()) + 2, strength, rng)
    return img + np.interp(radius, np.arange(prof.size), prof)[:, :, None].astype(np.float32)


_APPLY = {
    "gaussian": _gaussian,
    "jpeg": _jpeg,
    "blur": _blur,
    "stripes": _stripes,
    "rings": _rings,
}
