"""Segmentation datasets: ``DATA/images/`` and ``DATA/masks/`` with the same file names (any image
suffix for the image, PNG for the mask).

Masks are 8-bit PNGs in one of three conventions, found from the values of all masks together:

* binary: values 0 and 255 only -> classes 0 (value 0) and 1 (value 255);
* class ids: values 0..K-1 (K <= 64) -> those classes;
* palette PNGs: the palette indices are the class ids.

``DATA/labels.txt`` (one name a line, class id order) names the classes; otherwise they are
``class_<value>``. Instead of ``masks/``, COCO polygons: ``DATA/annotations.json`` (or the one
file in ``DATA/annotations/``), drawn into masks once (:mod:`foveal.data.segmentation_coco`).
Every problem is one line: what was found, what was expected, how to fix.

For example, on the membrane slices of ``../shared/data/segmentation``::

    ds = load_segmentation_data("../shared/data/segmentation/membrane")
    ds.mask_values, len(ds.pairs)  # ((0, 255), 20)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from foveal.errors import ConfigError, ImageError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
MAX_CLASS_IDS = 64


@dataclass(frozen=True)
class SegmentationData:
    """What a segmentation folder holds: ``(image, mask)`` path pairs, the class names, and the
    mask value of each class (the convention masks are written back in)."""

    root: Path
    pairs: list[tuple[Path, Path]]
    labels: tuple[str, ...]
    mask_values: tuple[int, ...]
    palette: tuple[int, ...] | None = None
    """The colours of palette PNG masks (768 values, R G B per index), written back with the
    predicted masks; ``None`` for grey masks."""


def read_mask(path: str | os.PathLike) -> np.ndarray:
    """A mask's raw values, ``(H, W)`` uint8 (palette PNGs: the palette indices).

    Raises:
        ImageError: unreadable, 16-bit, or colour (RGB) masks.
    """
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    try:
        with Image.open(p) as im:
            mode = im.mode
            if mode in ("I;16", "I;16B", "I;16L", "I"):
                raise ImageError(
                    f"mask {p} is a 16-bit image; expected an 8-bit PNG of class ids, 0/255 or a "
                    "palette PNG (convert it, e.g. with PIL: Image.fromarray(mask.astype('uint8')))"
                )
            if mode in ("RGB", "RGBA"):
                arr = np.asarray(im.convert("RGB"))
                if not (arr == arr[..., :1]).all():
                    raise ImageError(
                        f"mask {p} is a colour (RGB) image; expected an 8-bit grey PNG of class "
                        "ids or 0/255, or a palette PNG"
                    )
                return np.ascontiguousarray(arr[..., 0])
            if mode not in ("L", "P", "1"):
                raise ImageError(
                    f"mask {p} has image mode {mode}; expected an 8-bit grey or palette PNG"
                )
            arr = np.asarray(im)
    except (UnidentifiedImageError, OSError) as exc:
        raise ImageError(f"mask {p} cannot be read ({exc}); give a PNG mask") from exc
    return (arr.astype(np.uint8) * (255 if arr.dtype == bool else 1)).astype(np.uint8)


def dataset_root(root: str | os.PathLike) -> Path:
    """``root``, or for a folder of images with COCO polygons and no ``masks/``, the folder its
    masks are drawn into (:func:`foveal.data.segmentation_coco.coco_dataset`)."""
    r = Path(root)
    if r.is_dir() and not (r / "masks").is_dir():
        from foveal.data.segmentation_coco import coco_dataset, coco_file

        if coco_file(r) is not None:
            return coco_dataset(r)
    return r


def find_pairs(root: str | os.PathLike) -> list[tuple[Path, Path]]:
    """``(image, mask)`` pairs of ``root/images`` and ``root/masks``, sorted by name.

    Raises:
        ConfigError: missing folders, an empty folder, or images without a mask.
    """
    r = dataset_root(root)
    img_dir, mask_dir = r / "images", r / "masks"
    for d in (r, img_dir, mask_dir):
        if not d.is_dir():
            raise ConfigError(
                f"{d} is not a folder; a segmentation dataset is DATA/images/ and DATA/masks/ "
                "with the same file names (or DATA/images/ and COCO polygons in "
                "DATA/annotations.json)"
            )
    images = sorted(p for p in img_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise ConfigError(
            f"{img_dir} holds no images ({', '.join(IMAGE_SUFFIXES)}); put the training "
            "images there"
        )
    masks = {p.stem: p for p in mask_dir.iterdir() if p.suffix.lower() == ".png"}
    missing = [p.name for p in images if p.stem not in masks]
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise ConfigError(
            f"{len(missing)} image(s) have no mask in {mask_dir}: {', '.join(missing[:5])}{more}; "
            "add a PNG mask with the same name (stem.png) for each"
        )
    return [(p, masks[p.stem]) for p in images]


def mask_convention(
    values: set[int] | dict[int, Path], source: str = "the masks"
) -> tuple[int, ...]:
    """The mask value of each class, from every value the masks hold (or a dict: each value and
    a mask file that holds it, named in the error).

    >>> mask_convention({0, 255}), mask_convention({0, 2})
    ((0, 255), (0, 1, 2))

    Raises:
        ConfigError: values that fit no convention: those outside 0/255 when the masks hold
            255 (binary masks with stray values), else those over the class ids.
    """
    if not values:
        raise ConfigError(f"{source} hold no pixels")
    if set(values) == {0}:
        raise ConfigError(
            f"{source} hold only the value 0: no pixel of any class but the first; a binary "
            "mask marks its objects 255 (or class ids 1, 2 ...); check the masks"
        )
    if set(values) <= {0, 255}:
        return (0, 255)
    top = max(values)
    if top < MAX_CLASS_IDS:
        return tuple(range(top + 1))
    binary = 255 in values
    odd = sorted(v for v in values if (v not in (0, 255) if binary else v >= MAX_CLASS_IDS))
    where = f" (e.g. {values[odd[0]]})" if isinstance(values, dict) else ""
    kind = "are 0/255 masks but also hold" if binary else "hold the value(s)"
    raise ConfigError(
        f"{source} {kind} {', '.join(map(str, odd[:6]))}{where}; expected 0/255 for binary "
        f"masks or class ids 0..{MAX_CLASS_IDS - 1} (or a palette PNG); fix the masks"
    )


def to_class_ids(mask: np.ndarray, mask_values: tuple[int, ...], source: str) -> np.ndarray:
    """Mask values -> class ids (uint8); values outside the convention are an error."""
    lut = np.full(256, 255, np.uint8)
    for cid, v in enumerate(mask_values):
        lut[v] = cid
    out = lut[mask]
    if (out == 255).any():
        bad = sorted(set(np.unique(mask[out == 255]).tolist()))[:6]
        raise ImageError(
            f"mask {source} holds value(s) {bad}, outside the dataset's {list(mask_values)}; fix it"
        )
    return out


def load_segmentation_data(root: str | os.PathLike) -> SegmentationData:
    """Check a segmentation folder (every mask read once) and find its convention.

    Raises:
        ConfigError / ImageError: one line naming the file and the problem.
    """
    from PIL import Image

    r = dataset_root(root)
    pairs = find_pairs(r)
    values: dict[int, Path] = {}  # each value, and the first mask that holds it
    for img, msk in pairs:
        mask = read_mask(msk)
        try:
            with Image.open(img) as im:
                size = im.size
        except OSError as exc:
            raise ImageError(f"image {img} cannot be read ({exc}); replace or remove it") from exc
        if (mask.shape[1], mask.shape[0]) != size:
            raise ImageError(
                f"mask {msk} is {mask.shape[1]}x{mask.shape[0]} but its image {img.name} is "
                f"{size[0]}x{size[1]}; masks must have their image's size"
            )
        for v in np.unique(mask).tolist():
            values.setdefault(v, msk)
    mask_values = mask_convention(values, f"the masks in {r / 'masks'}")
    names_file = r / "labels.txt"
    if names_file.is_file():
        labels = tuple(
            line.strip() for line in names_file.read_text("utf-8").splitlines() if line.strip()
        )
        if len(labels) > len(mask_values) and mask_values == tuple(range(len(mask_values))):
            # class ids: labels.txt says how many classes there are, also the unseen last ones
            mask_values = tuple(range(len(labels)))
        if len(labels) != len(mask_values):
            raise ConfigError(
                f"{names_file} names {len(labels)} classes; the masks have {len(mask_values)} "
                f"(values {list(mask_values)}); one name a line, in class id order"
            )
    else:
        labels = tuple(f"class_{v}" for v in mask_values)
    return SegmentationData(r, pairs, labels, mask_values, mask_palette(pairs[0][1]))


def mask_palette(path: str | os.PathLike) -> tuple[int, ...] | None:
    """The palette of a palette PNG mask (768 values, R G B per index), else ``None``."""
    from PIL import Image

    with Image.open(path) as im:
        if im.mode != "P" or im.getpalette() is None:
            return None
        colours = list(im.getpalette() or [])
    return tuple(colours + [0] * (768 - len(colours)))
