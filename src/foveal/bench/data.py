"""Data the promise benchmark uses: Fashion-MNIST (Debian package), scikit-learn digits, shared
sets."""

from __future__ import annotations

import gzip
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from foveal.errors import FovealError

FASHION_DIRS = ("/usr/share/datasets/fashion-mnist",)
FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip


@dataclass
class Split:
    """A classification data set split once, with a seed: uint8 gray images (N, H, W) and labels."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]

    def describe(self) -> str:
        h, w = self.x_train.shape[1:3]
        return (
            f"{self.name}: {len(self.x_train)} train / {len(self.x_test)} test, {h}x{w}, "
            f"{len(self.classes)} classes"
        )


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzipped or not."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        data = fh.read()
    if data[:2] != b"\x00\x00" or data[2] != 0x08:
        raise FovealError(f"{path} is not an IDX file of unsigned bytes")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def fashion_mnist_dir() -> Path:
    """The folder of the Fashion-MNIST IDX files (``FOVEAL_FASHION_MNIST`` or Debian's)."""
    candidates = (
        [os.environ["FOVEAL_FASHION_MNIST"]] if os.environ.get("FOVEAL_FASHION_MNIST") else []
    )
    for d in [*candidates, *FASHION_DIRS]:
        if (Path(d) / "train-images-idx3-ubyte.gz").is_file() or (
            Path(d) / "train-images-idx3-ubyte"
        ).is_file():
            return Path(d)
    raise FovealError(
        "Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist (Debian), or set "
        "FOVEAL_FASHION_MNIST to a folder holding train-images-idx3-ubyte.gz and friends"
    )


def _stratified(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    classes = np.unique(labels)
    per = n // len(classes)
    picks = [rng.choice(np.flatnonzero(labels == c), per, replace=False) for c in classes]
    return np.sort(np.concatenate(picks))


@lru_cache(maxsize=2)
def _fashion_part(root: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
    r = Path(root)
    suffix = ".gz" if (r / f"{kind}-images-idx3-ubyte.gz").is_file() else ""
    return read_idx(r / f"{kind}-images-idx3-ubyte{suffix}"), read_idx(
        r / f"{kind}-labels-idx1-ubyte{suffix}"
    )


def fashion_mnist(n_train: int = 3000, n_test: int = 1000, seed: int = 0) -> Split:
    """A class-balanced, seeded subset of Fashion-MNIST's official train and test sets."""
    rng = np.random.default_rng(seed)
    xtr, ytr = _fashion_part(str(fashion_mnist_dir()), "train")
    xte, yte = _fashion_part(str(fashion_mnist_dir()), "t10k")
    a, b = _stratified(ytr, n_train, rng), _stratified(yte, n_test, rng)
    return Split(
        "fashion-mnist",
        xtr[a],
        ytr[a].astype(np.int64),
        xte[b],
        yte[b].astype(np.int64),
        FASHION_CLASSES,
    )


def digits(seed: int = 0, test_size: float = 0.25) -> Split:
    """scikit-learn's 8x8 digits (1,797 images), stratified split with a seed, as uint8 0..255."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    images = np.clip(d.images * (255.0 / 16.0) + 0.5, 0, 255).astype(np.uint8)
    xtr, xte, ytr, yte = train_test_split(
        images, d.target, test_size=test_size, stratify=d.target, random_state=seed
    )
    return Split(
        "digits",
        xtr,
        ytr.astype(np.int64),
        xte,
        yte.astype(np.int64),
        tuple(str(i) for i in range(10)),
    )


def read_dlib_boxes(xml_path: str | os.PathLike) -> dict[str, np.ndarray]:
    """``{file: (N, 4) xyxy boxes}`` from a dlib imglab XML file (boxes marked ``ignore``
    dropped)."""
    tree = ET.parse(xml_path)
    out: dict[str, np.ndarray] = {}
    for image in tree.getroot().iter("image"):
        boxes = []
        for box in image.iter("box"):
            if box.get("ignore") == "1":
                continue
            top, left = float(box.get("top")), float(box.get("left"))
            w, h = float(box.get("width")), float(box.get("height"))
            boxes.append((left, top, left + w, top + h))
        out[image.get("file")] = np.asarray(boxes, np.float32).reshape(-1, 4)
    return out
