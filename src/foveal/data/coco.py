"""COCO JSON: ``annotations/instances_{split}.json`` with images in ``images/{split}/``.

>>> from foveal.data.coco import read_coco
>>> from foveal.data.detection import DetectionDataset, DetectionImage, save_detection
>>> cup = DetectionImage("coffee.png", 600, 400, [[162, 16, 421, 295]], [0], split="val")
>>> save_detection(DetectionDataset([cup], ["cup"]), "cups", "coco")
PosixPath('cups')
>>> ds = read_coco("cups", split="val")        # reads cups/annotations/instances_val.json
>>> ds.classes, ds.images[0].path.as_posix(), ds.images[0].boxes
(['cup'], 'cups/images/val/coffee.png', array([[162.,  16., 421., 295.]], dtype=float32))

A path may be one ``.json`` file or a folder holding ``annotations/*.json`` (or ``*.json``). The
split name comes from the file name (``instances_val.json`` and ``val.json`` are split ``val``;
``instances.json`` has no split). Images are looked for, in order, in ``images/{split}/``,
``{split}/``, ``images/`` next to the ``annotations`` folder, then beside the json file.
Class ids are the categories in ascending ``id`` order; ``iscrowd`` boxes become ``difficult``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from foveal.data.detection_records import (
    DatasetError,
    DetectionDataset,
    DetectionImage,
    ProblemCollector,
    place_image,
    unique_names,
)
from foveal.utils.files import atomic_write_text


def _split_name(f: Path) -> str | None:
    stem = f.stem
    if stem.startswith("instances_"):
        stem = stem[len("instances_") :]
    return None if stem in ("instances", "annotations", "") else stem


def _image_dir(f: Path, split: str | None, file_names: list[str]) -> Path:
    base = f.parent.parent if f.parent.name == "annotations" else f.parent
    cands = []
    if split:
        cands += [base / "images" / split, base / split]
    cands += [base / "images", f.parent, base]
    probe = file_names[:5]
    for c in cands:
        if probe and all((c / n).is_file() for n in probe):
            return c
    for c in cands:
        if probe and any((c / n).is_file() for n in probe):
            return c
    return cands[0]


def _load_json(f: Path, report: ProblemCollector) -> dict[str, Any] | None:
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        report("corrupt_label", f, f"is not valid JSON: {exc}")
        return None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("images"), list)
        or not isinstance(data.get("annotations"), list)
    ):
        report(
            "corrupt_label",
            f,
            "is not COCO detection JSON: expected an object with 'images', "
            "'annotations' and 'categories' lists",
        )
        return None
    return data


def read_coco(
    path: str | os.PathLike, *, split: str | None = None, strict: bool = True
) -> DetectionDataset:
    """Read COCO JSON (see the module docs)."""
    p = Path(path)
    if p.is_file():
        files = [p]
    elif p.is_dir():
        files = sorted(p.glob("annotations/*.json")) or sorted(p.glob("*.json"))
    else:
        raise DatasetError(
            f"{p}: no such file or folder; expected a COCO .json file or a folder with annotations/"
        )
    if not files:
        raise DatasetError(
            f"{p} holds no COCO .json files (looked in annotations/ and the folder itself)"
        )
    if split is not None and p.is_dir():
        files = [f for f in files if _split_name(f) == split]
        if not files:
            have = ", ".join(
                str(_split_name(f))
                for f in sorted(p.glob("annotations/*.json")) or p.glob("*.json")
            )
            raise DatasetError(
                f"{p} has no annotations for split {split!r}; the splits here are: {have}"
            )
    report = ProblemCollector(strict)
    loaded = [(f, d) for f in files if (d := _load_json(f, report)) is not None]

    cats: dict[int, str] = {}
    for f, data in loaded:
        for c in data.get("categories") or []:
            try:
                cid, name = int(c["id"]), str(c["name"])
            except (KeyError, TypeError, ValueError):
                report("corrupt_label", f, f"category {c!r} lacks an integer 'id' or a 'name'")
                continue
            if cats.get(cid, name) != name:
                raise DatasetError(
                    f"{f}: category id {cid} is {name!r} here but {cats[cid]!r} in another file"
                )
            cats[cid] = name
    cat_ids = sorted(cats)
    cat_index = {cid: i for i, cid in enumerate(cat_ids)}
    classes = [cats[c] for c in cat_ids]
    dup_names = [n for n, k in Counter(classes).items() if k > 1]
    if dup_names:
        report("duplicate_id", files[0], f"category name {dup_names[0]!r} has more than one id")

    images: list[DetectionImage] = []
    for f, data in loaded:
        sname = _split_name(f)
        recs: dict[Any, dict[str, Any]] = {}
        for rec in data["images"]:
            if not isinstance(rec, dict) or "id" not in rec or "file_name" not in rec:
                report(
                    "corrupt_label", f, f"image record {str(rec)[:80]} lacks 'id' or 'file_name'"
                )
                continue
            if rec["id"] in recs:
                report("duplicate_id", f, f"image id {rec['id']!r} is used more than once")
                continue
            recs[rec["id"]] = rec
        img_dir = _image_dir(f, sname, [str(r["file_name"]) for r in recs.values()])
        per: dict[Any, list[tuple[list[float], int, bool]]] = {k: [] for k in recs}
        ann_ids: set[Any] = set()
        for a in data["annotations"]:
            if not isinstance(a, dict):
                report("corrupt_label", f, f"annotation {str(a)[:80]} is not an object")
                continue
            if "id" in a:
                if a["id"] in ann_ids:
                    report("duplicate_id", f, f"annotation id {a['id']!r} is used more than once")
                ann_ids.add(a["id"])
            bbox = a.get("bbox")
            try:
                x, y, w, h = (float(v) for v in bbox)  # type: ignore[union-attr]
                ok = all(np.isfinite([x, y, w, h]))
            except (TypeError, ValueError):
                ok = False
            if not ok:
                report(
                    "corrupt_label",
                    f,
                    f"annotation {a.get('id')!r} has bbox {bbox!r}; expected [x, y, w, h] numbers",
                )
                continue
            if a.get("image_id") not in per:
                report(
                    "corrupt_label",
                    f,
                    f"annotation {a.get('id')!r} refers to image id {a.get('image_id')!r}, "
                    "which is not in 'images'",
                )
                continue
            try:
                cls = cat_index[int(a.get("category_id"))]  # type: ignore[arg-type]
            except (KeyError, TypeError, ValueError):
                report(
                    "unknown_class",
                    f,
                    f"annotation {a.get('id')!r} has category_id {a.get('category_id')!r}, "
                    f"not one of the categories {cat_ids}",
                )
                continue
            per[a["image_id"]].append(([x, y, x + w, y + h], cls, bool(a.get("iscrowd", 0))))
        for iid, rec in recs.items():
            objs = per[iid]
            try:
                width, height = int(rec.get("width") or 0), int(rec.get("height") or 0)
            except (TypeError, ValueError):
                width = height = 0
            if width <= 0 or height <= 0:
                from foveal.data.detection_records import image_size

                try:
                    width, height = image_size(img_dir / str(rec["file_name"]))
                except DatasetError as exc:
                    report(
                        "corrupt_label",
                        f,
                        f"image {iid!r} has no width/height and its file gives none: {exc}",
                    )
                    continue
            images.append(
                DetectionImage(
                    path=img_dir / str(rec["file_name"]),
                    width=width,
                    height=height,
                    boxes=np.array([o[0] for o in objs], np.float32).reshape(-1, 4),
                    class_ids=np.array([o[1] for o in objs], np.int64),
                    difficult=np.array([o[2] for o in objs], bool),
                    split=sname,
                    id=iid,
                    label_file=f,
                )
            )
    return DetectionDataset(
        images=images, classes=classes, format="coco", root=p, problems=report.problems
    )


def to_coco_dict(
    ds: DetectionDataset, images: list[DetectionImage] | None = None
) -> dict[str, Any]:
    """COCO JSON for ``images`` (default: all of ``ds``), image ids 1..N unless they are unique
    ints."""
    images = ds.images if images is None else images
    ids = [im.id for im in images]
    keep_ids = all(isinstance(i, (int, np.integer)) for i in ids) and len(set(ids)) == len(ids)
    out_images, anns = [], []
    for k, im in enumerate(images):
        iid = int(im.id) if keep_ids else k + 1  # type: ignore[arg-type]
        out_images.append(
            {"id": iid, "file_name": im.file_name, "width": im.width, "height": im.height}
        )
        for box, c, d in zip(im.boxes, im.class_ids, im.difficult, strict=True):
            x1, y1, x2, y2 = (round(float(v), 4) for v in box)
            w, h = round(x2 - x1, 4), round(y2 - y1, 4)
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": iid,
                    "category_id": int(c) + 1,
                    "bbox": [x1, y1, w, h],
                    "area": round(w * h, 4),
                    "iscrowd": int(bool(d)),
                }
            )
    return {
        "info": {"description": "written by foveal"},
        "images": out_images,
        "annotations": anns,
        "categories": [
            {"id": i + 1, "name": n, "supercategory": "none"} for i, n in enumerate(ds.classes)
        ],
    }


def write_coco(ds: DetectionDataset, out: Path, *, images: str = "copy") -> Path:
    """Write ``annotations/instances_{split}.json`` (``instances.json`` without splits) and
    ``images/{split}/``."""
    unique_names(ds.images, split_dirs=True)
    by_split: dict[str | None, list[DetectionImage]] = {}
    for im in ds.images:
        by_split.setdefault(im.split, []).append(im)
    for split, ims in by_split.items():
        name = f"instances_{split}.json" if split else "instances.json"
        img_dir = out / "images" / split if split else out / "images"
        for im in ims:
            place_image(im.path, img_dir / im.file_name, images)
        atomic_write_text(out / "annotations" / name, json.dumps(to_coco_dict(ds, ims)))
    return out
