"""COCO polygons as segmentation masks: ``DATA/images/`` with a COCO instances file instead of
``DATA/masks/``.

The file is ``DATA/annotations.json`` or the only ``.json`` in ``DATA/annotations/`` (COCO's
``instances_train2017.json`` layout). Each image's objects are drawn into a class-id mask
(background 0, the categories 1..K in the order of their ids; larger objects first, so a small
object on a large one stays visible), written once under ``$FOVEAL_HOME/coco-masks`` (keyed by the
file's contents: the dataset folder is never written to) with a ``labels.txt`` of the category
names. Polygons and uncompressed RLE are drawn; compressed RLE (COCO's crowd regions) is one
clear line.

>>> import json, os
>>> os.makedirs("coco/images")
>>> _ = Image.new("RGB", (8, 6)).save("coco/images/a.png")
>>> ann = {"images": [{"id": 1, "file_name": "a.png", "width": 8, "height": 6}],
...        "categories": [{"id": 7, "name": "road"}],
...        "annotations": [{"image_id": 1, "category_id": 7, "iscrowd": 0,
...                         "segmentation": [[0, 0, 4, 0, 4, 6, 0, 6]]}]}
>>> _ = open("coco/annotations.json", "w").write(json.dumps(ann))
>>> root = coco_dataset(Path("coco"))
>>> (root / "labels.txt").read_text().split(), sorted(p.name for p in (root / "masks").iterdir())
(['background', 'road'], ['a.png'])
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from foveal.errors import ConfigError
from foveal.utils.files import atomic_write_bytes

MAX_CATEGORIES = 63
"""Class ids of masks go up to 63 (with 0 for the background)."""


def coco_file(root: Path) -> Path | None:
    """The COCO instances file of a dataset folder, if it has one (see the module docstring)."""
    single = root / "annotations.json"
    if single.is_file():
        return single
    folder = root / "annotations"
    found = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if len(found) > 1:
        raise ConfigError(
            f"{folder} holds {len(found)} JSON files ({', '.join(p.name for p in found[:4])}); "
            "keep the one COCO instances file of these images, or name it DATA/annotations.json"
        )
    return found[0] if found else None


def coco_dataset(root: Path) -> Path:
    """A dataset folder (``images/`` and ``masks/``, ``labels.txt``) made from ``root``'s COCO
    file, under ``$FOVEAL_HOME/coco-masks``: made once, then reused while the file is unchanged.

    Raises:
        ConfigError: an unreadable or malformed file, too many categories, compressed RLE, or
            an image it names that is not in ``root/images``.
    """
    from foveal.zoo.resolve import foveal_home

    ann = coco_file(root)
    if ann is None:
        raise ConfigError(f"{root} has no COCO annotations (annotations.json)")
    data = ann.read_bytes()
    key = hashlib.sha256(data + os.fsencode(root.resolve())).hexdigest()[:12]
    out = foveal_home() / "coco-masks" / f"{root.resolve().name}-{key}"
    if (out / "labels.txt").is_file():  # written last: the folder is complete
        return out
    coco = _parse(data, ann)
    cats = sorted(coco["categories"], key=lambda c: c["id"])
    if len(cats) > MAX_CATEGORIES:
        raise ConfigError(
            f"{ann} has {len(cats)} categories; segmentation masks hold at most {MAX_CATEGORIES} "
            "classes besides the background"
        )
    class_of = {c["id"]: i + 1 for i, c in enumerate(cats)}
    by_image: dict[Any, list[dict[str, Any]]] = {}
    for a in coco["annotations"]:
        by_image.setdefault(a.get("image_id"), []).append(a)
    (out / "masks").mkdir(parents=True, exist_ok=True)
    images = out / "images"
    if not images.exists():
        images.symlink_to((root / "images").resolve(), target_is_directory=True)
    for im in coco["images"]:
        name = str(im.get("file_name", ""))
        if not (root / "images" / name).is_file():
            raise ConfigError(
                f"{ann} names image {name!r}, which is not in {root / 'images'}; put the images "
                "there under the names the file gives"
            )
        mask = draw_mask(im, by_image.get(im.get("id"), []), class_of, ann)
        png = _png(mask)
        atomic_write_bytes(out / "masks" / f"{Path(name).stem}.png", png)
    labels = "\n".join(["background", *(str(c["name"]) for c in cats)]) + "\n"
    atomic_write_bytes(out / "labels.txt", labels.encode())
    return out


def draw_mask(
    image: dict[str, Any], objects: list[dict[str, Any]], class_of: dict[Any, int], source: Path
) -> np.ndarray:
    """One image's class-id mask (uint8, its ``height`` x ``width``) from its COCO objects."""
    import cv2

    h, w = int(image["height"]), int(image["width"])
    mask = np.zeros((h, w), np.uint8)
    for obj in sorted(objects, key=lambda o: -float(o.get("area", 0.0))):
        cls = class_of.get(obj.get("category_id"))
        if cls is None:
            raise ConfigError(
                f"{source}: an object of image {image.get('file_name')!r} has category "
                f"{obj.get('category_id')!r}, which is not in the file's categories"
            )
        seg = obj.get("segmentation")
        if isinstance(seg, list):  # polygons [x1, y1, x2, y2, ...]
            polys = [np.asarray(p, np.float64).reshape(-1, 2) for p in seg if len(p) >= 6]
            cv2.fillPoly(mask, [np.round(p).astype(np.int32) for p in polys], int(cls))
        elif isinstance(seg, dict) and isinstance(seg.get("counts"), list):
            mask[rle_decode(seg["counts"], (h, w))] = cls
        else:
            raise ConfigError(
                f"{source}: an object of image {image.get('file_name')!r} is compressed RLE (a "
                "COCO crowd region) or has no segmentation; convert it to polygons or drop it"
            )
    return mask


def rle_decode(counts: list[int], size: tuple[int, int]) -> np.ndarray:
    """COCO's uncompressed RLE (runs of 0 then 1 ..., column-major) as a bool ``(H, W)`` mask.

    >>> rle_decode([1, 2, 3], (2, 3)).astype(int).tolist()
    [[0, 1, 0], [1, 0, 0]]
    """
    h, w = size
    flat = np.zeros(h * w, bool)
    pos = 0
    for i, run in enumerate(counts):
        if i % 2:
            flat[pos : pos + run] = True
        pos += run
    return flat.reshape(w, h).T


def _parse(data: bytes, ann: Path) -> dict[str, Any]:
    try:
        coco = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{ann} is not JSON ({exc}); expected a COCO instances file") from None
    if not isinstance(coco, dict) or not all(
        isinstance(coco.get(k), list) for k in ("images", "annotations", "categories")
    ):
        raise ConfigError(
            f"{ann} is not a COCO instances file: expected lists 'images', 'annotations' and "
            "'categories'"
        )
    return coco


def _png(mask: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    Image.fromarray(mask).save(buf, format="PNG")
    return buf.getvalue()
