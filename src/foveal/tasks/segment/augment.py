"""Augmentation of image/mask pairs (numpy + OpenCV): random crops, flips, 90-degree turns,
elastic deformation (the U-Net paper's key augmentation) and brightness/contrast jitter.

>>> rng = np.random.default_rng(0)
>>> img = np.zeros((40, 50, 3), np.uint8); mask = np.zeros((40, 50), np.uint8)
>>> a, b = augment_pair(img, mask, rng, crop=32)
>>> a.shape, b.shape
((32, 32, 3), (32, 32))
"""

from __future__ import annotations

import numpy as np


def random_crop(
    image: np.ndarray, mask: np.ndarray, size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A ``size x size`` window at a random place (reflect-padded where the image is smaller)."""
    import cv2

    h, w = mask.shape
    ph, pw = max(size - h, 0), max(size - w, 0)
    if ph or pw:
        image = cv2.copyMakeBorder(image, 0, ph, 0, pw, cv2.BORDER_REFLECT_101)
        mask = cv2.copyMakeBorder(mask, 0, ph, 0, pw, cv2.BORDER_REFLECT_101)
        h, w = mask.shape
    y = int(rng.integers(0, h - size + 1))
    x = int(rng.integers(0, w - size + 1))
    return image[y : y + size, x : x + size], mask[y : y + size, x : x + size]


def elastic(
    image: np.ndarray,
    mask: np.ndarray,
    rng: np.random.Generator,
    *,
    grid: int = 3,
    sigma: float = 10.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Elastic deformation as in the U-Net paper: random displacements on a coarse
    ``grid x grid`` lattice (normal, ``sigma`` pixels), bicubically interpolated to every pixel.
    The image is resampled bilinearly, the mask by nearest neighbour."""
    import cv2

    h, w = mask.shape
    coarse = rng.normal(0.0, sigma, size=(2, grid, grid)).astype(np.float32)
    dx = cv2.resize(coarse[0], (w, h), interpolation=cv2.INTER_CUBIC)
    dy = cv2.resize(coarse[1], (w, h), interpolation=cv2.INTER_CUBIC)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    mx, my = xs + dx, ys + dy
    img = cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    msk = cv2.remap(mask, mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT_101)
    return img, msk


def augment_pair(
    image: np.ndarray,
    mask: np.ndarray,
    rng: np.random.Generator,
    *,
    crop: int,
    flips: bool = True,
    elastic_p: float = 0.5,
    jitter: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """One training sample: random crop, flips and 90-degree turns, elastic deformation (with
    probability ``elastic_p``), brightness/contrast jitter of up to ``jitter``."""
    img, msk = random_crop(image, mask, crop, rng)
    if flips:
        if rng.random() < 0.5:
            img, msk = img[:, ::-1], msk[:, ::-1]
        if rng.random() < 0.5:
            img, msk = img[::-1], msk[::-1]
        k = int(rng.integers(0, 4))
        img, msk = np.rot90(img, k), np.rot90(msk, k)
    img, msk = np.ascontiguousarray(img), np.ascontiguousarray(msk)
    if rng.random() < elastic_p:
        img, msk = elastic(img, msk, rng)
    if jitter > 0:
        gain = 1.0 + rng.uniform(-jitter, jitter)
        bias = 255.0 * rng.uniform(-jitter, jitter)
        img = np.clip(img.astype(np.float32) * gain + bias, 0, 255).astype(np.uint8)
    return img, msk
