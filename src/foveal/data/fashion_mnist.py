"""Fashion-MNIST (Zalando, MIT) from the Debian package ``dataset-fashion-mnist`` as an ImageFolder.

Writing all 70,000 images takes a while, so the example is not run here::

    from foveal.data.fashion_mnist import to_imagefolder
    to_imagefolder("data/fashion-mnist")     # {'train': 60000, 'test': 10000}

Writes ``OUT/train/<class>/<n>.png`` and ``OUT/test/<class>/<n>.png`` (28x28 grayscale PNGs).
"""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np

from foveal.errors import ConfigError

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
CLASSES = (
    "T-shirt_top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle_boot",
)
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """An IDX file (optionally gzipped): ``uint8`` images ``(N, H, W)`` or labels ``(N,)``."""
    p = Path(path)
    opener = gzip.open if p.suffix == ".gz" else open
    with opener(p, "rb") as fh:
        data = fh.read()
    if len(data) < 8:
        raise ConfigError(f"{p} is too short to be an IDX file")
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ConfigError(f"{p} is not an unsigned-byte IDX file (header {data[:4].hex()})")
    dims = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ConfigError(f"{p} holds {arr.size} values, its header says {dims}")
    return arr.reshape(dims)


def load(split: str, source: str | os.PathLike = DEBIAN_DIR) -> tuple[np.ndarray, np.ndarray]:
    """``(images (N, 28, 28) uint8, labels (N,))`` of ``train`` or ``test``."""
    src = Path(source)
    img_file, lab_file = FILES[split]
    if not (src / img_file).is_file():
        raise ConfigError(
            f"Fashion-MNIST files are not in {src} (looked for {img_file}); install them with "
            "'apt-get install dataset-fashion-mnist' or pass --source with the folder holding the "
            "IDX files"
        )
    images, labels = read_idx(src / img_file), read_idx(src / lab_file)
    if len(images) != len(labels):
        raise ConfigError(f"{len(images)} images but {len(labels)} labels in {src}")
    return images, labels


def to_imagefolder(
    out: str | os.PathLike,
    *,
    source: str | os.PathLike = DEBIAN_DIR,
    limit_per_class: int | None = None,
    splits: tuple[str, ...] = ("train", "test"),
) -> dict[str, int]:
    """Write the PNG tree; ``limit_per_class`` keeps the first N images of each class per split."""
    from PIL import Image

    root = Path(out)
    counts: dict[str, int] = {}
    for split in splits:
        images, labels = load(split, source)
        seen = np.zeros(len(CLASSES), dtype=np.int64)
        for c in CLASSES:
            (root / split / c).mkdir(parents=True, exist_ok=True)
        n = 0
        for i, (img, lab) in enumerate(zip(images, labels, strict=True)):
            if limit_per_class is not None and seen[lab] >= limit_per_class:
                continue
            seen[lab] += 1
            path = root / split / CLASSES[lab] / f"{i:05d}.png"
            if not path.exists():
                Image.fromarray(np.ascontiguousarray(img)).save(path)
            n += 1
        counts[split] = n
    return counts
