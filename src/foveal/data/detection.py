"""Object-detection datasets: one in-memory representation, read from and written to COCO, YOLO and
VOC.

A :class:`DetectionDataset` is a list of :class:`DetectionImage` records (image path, size, split,
boxes ``xyxy`` in float pixels, class ids) plus the class names. Boxes use foveal's one convention
(see :mod:`foveal.results`): continuous pixel coordinates, ``(x1, y1)`` top-left, ``(x2, y2)``
bottom-right. Pascal VOC coordinates are read as they are written (no 1-based shift), as most tools
do, so conversions round-trip exactly.

>>> from foveal.data.detection import DetectionDataset, DetectionImage
>>> from foveal.data.detection import load_detection, save_detection
>>> cup = DetectionImage("coffee.png", 600, 400, [[162, 16, 421, 295]], [0], split="val")
>>> save_detection(DetectionDataset([cup], ["cup"]), "cups", "voc")
PosixPath('cups')
>>> load_detection("cups").summary()                   # the format is sniffed
'voc: 1 images, 1 boxes, 1 classes (cup); splits val=1'

On the BCCD blood-cell dataset (Pascal VOC), converted to YOLO::

    ds = load_detection("BCCD")
    print(ds.summary())
    # voc: 364 images, 4888 boxes, 3 classes (Platelets, RBC, WBC); splits test=72, train=205,
    # val=87
    save_detection(ds, "bccd_yolo", "yolo")     # PosixPath('bccd_yolo/data.yaml')

Readers are strict by default: a corrupt label file, an unknown class or a duplicate id raises
:class:`DatasetError` naming the file. With ``strict=False`` they record a :class:`Problem` in
``dataset.problems`` and carry on (this is what ``foveal data check`` uses). Boxes outside the image
or with zero area are kept as they are by readers and reported by
:func:`foveal.data.check.check_detection`.

``difficult`` marks boxes to ignore in evaluation (VOC ``difficult``, COCO ``iscrowd``).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from foveal.data.detection_records import (
    DatasetError,
    DetectionDataset,
    DetectionImage,
    Problem,
    ProblemCollector,
    image_size,
)

__all__ = [
    "FORMATS",
    "DatasetError",
    "DetectionDataset",
    "DetectionImage",
    "Problem",
    "fix_boxes",
    "image_size",
    "load_detection",
    "names_file_classes",
    "remap_classes",
    "save_detection",
    "sniff_format",
    "to_dict_summary",
]

FORMATS = ("voc", "coco", "yolo")


# ----------------------------------------------------------------------------------------- dispatch


def sniff_format(path: str | os.PathLike) -> str:
    """Guess a dataset's format from its layout.

    * ``voc``: a folder with ``Annotations/`` (XML files);
    * ``coco``: a ``.json`` file, or a folder with ``annotations/*.json``;
    * ``yolo``: a ``.yaml``/``.yml`` file, or a folder with ``data.yaml``/``dataset.yaml``.

    Raises:
        DatasetError: none of these.
    """
    p = Path(path)
    if not p.exists():
        raise DatasetError(f"{p}: no such file or folder; expected a VOC, COCO or YOLO dataset")
    if p.is_file():
        if p.suffix.lower() == ".json":
            return "coco"
        if p.suffix.lower() in (".yaml", ".yml"):
            return "yolo"
        raise DatasetError(
            f"{p} is a {p.suffix or 'extension-less'} file; expected a COCO .json, a YOLO data "
            ".yaml, or a dataset folder"
        )
    if (p / "Annotations").is_dir():
        return "voc"
    if any(p.glob("annotations/*.json")) or any(p.glob("*.json")):
        return "coco"
    if any((p / n).is_file() for n in ("data.yaml", "dataset.yaml", "data.yml")):
        return "yolo"
    raise DatasetError(
        f"{p} does not look like a detection dataset: expected Annotations/ (Pascal VOC), "
        "annotations/*.json (COCO) or data.yaml (YOLO); pass --format to say which"
    )


def load_detection(
    path: str | os.PathLike,
    format: str | None = None,
    *,
    split: str | None = None,
    classes: list[str] | None = None,
    strict: bool = True,
) -> DetectionDataset:
    """Read a detection dataset in any supported format.

    Args:
        path: dataset folder, COCO json file or YOLO data yaml.
        format: ``voc``, ``coco`` or ``yolo``; sniffed from the layout when ``None``.
        split: only this split (``train``, ``val``, ``test`` ...); all when ``None``.
        classes: the expected class names (VOC objects of other names are ``unknown_class``);
            VOC default: the sorted set of names found. COCO and YOLO carry their own names.
        strict: raise on the first problem (default) or record it in ``problems`` and go on.
    """
    fmt = format or sniff_format(path)
    if fmt == "voc":
        from foveal.data.voc import read_voc

        ds = read_voc(path, classes=classes, split=split, strict=strict)
    elif fmt == "coco":
        from foveal.data.coco import read_coco

        ds = read_coco(path, split=split, strict=strict)
    elif fmt == "yolo":
        from foveal.data.yolo import read_yolo

        ds = read_yolo(path, split=split, strict=strict)
    else:
        raise DatasetError(f"unknown dataset format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if classes is not None and fmt != "voc":
        ds = remap_classes(ds, classes, strict=strict)
    return ds


def save_detection(
    ds: DetectionDataset, dst: str | os.PathLike, format: str, *, images: str = "copy"
) -> Path:
    """Write ``ds`` in ``format`` under folder ``dst``; ``images`` is ``copy``, ``link`` or
    ``none``.

    Returns the dataset's main path (the folder for VOC/COCO, ``data.yaml`` for YOLO).
    """
    out = Path(dst)
    if out.exists() and not out.is_dir():
        raise DatasetError(f"{out} is a file; expected a folder to write the dataset into")
    if format == "voc":
        from foveal.data.voc import write_voc

        return write_voc(ds, out, images=images)
    if format == "coco":
        from foveal.data.coco import write_coco

        return write_coco(ds, out, images=images)
    if format == "yolo":
        from foveal.data.yolo import write_yolo

        return write_yolo(ds, out, images=images)
    raise DatasetError(f"unknown dataset format {format!r}; expected one of {', '.join(FORMATS)}")


def remap_classes(
    ds: DetectionDataset, classes: list[str], *, strict: bool = True
) -> DetectionDataset:
    """Re-index class ids to a new list of names; boxes of names not in it are ``unknown_class``."""
    index = {n: i for i, n in enumerate(classes)}
    report = ProblemCollector(strict)
    images = []
    for im in ds.images:
        names = [ds.classes[c] for c in im.class_ids]
        keep = np.array([n in index for n in names], bool)
        for n in sorted({n for n in names if n not in index}):
            report(
                "unknown_class", im.label_file or im.path, f"class {n!r} is not one of {classes}"
            )
        images.append(
            replace(
                im,
                boxes=im.boxes[keep],
                class_ids=np.array(
                    [index[n] for n, k in zip(names, keep, strict=True) if k], np.int64
                ),
                difficult=im.difficult[keep],
            )
        )
    return replace(ds, images=images, classes=list(classes), problems=ds.problems + report.problems)


def fix_boxes(ds: DetectionDataset) -> tuple[DetectionDataset, int, int]:
    """Clip boxes to their image and drop boxes with zero area. Returns ``(dataset, clipped,
    dropped)``."""
    clipped = dropped = 0
    images = []
    for im in ds.images:
        b = im.boxes.copy()
        lim = np.array([im.width, im.height, im.width, im.height], np.float32)
        c = np.clip(b, 0, lim)
        keep = (c[:, 2] > c[:, 0]) & (c[:, 3] > c[:, 1])
        clipped += int((np.abs(c - b).max(axis=1, initial=0) > 0)[keep].sum())
        dropped += int((~keep).sum())
        images.append(
            replace(im, boxes=c[keep], class_ids=im.class_ids[keep], difficult=im.difficult[keep])
        )
    return replace(ds, images=images), clipped, dropped


def names_file_classes(spec: str) -> list[str]:
    """Class names from ``"a,b,c"`` or a text file with one name per line."""
    p = Path(spec)
    if p.is_file():
        names = [ln.strip() for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()]
    else:
        names = [n.strip() for n in spec.split(",") if n.strip()]
    if not names:
        raise DatasetError(
            f"no class names in {spec!r}; expected 'a,b,c' or a file with one name a line"
        )
    if len(set(names)) != len(names):
        dup = sorted(n for n, k in Counter(names).items() if k > 1)
        raise DatasetError(f"class names repeat: {', '.join(dup)}")
    return names


def to_dict_summary(ds: DetectionDataset) -> dict[str, Any]:
    return {
        "format": ds.format,
        "root": str(ds.root) if ds.root else None,
        "images": len(ds),
        "boxes": ds.num_boxes,
        "classes": ds.classes,
        "class_counts": ds.class_counts(),
        "splits": ds.splits,
        "images_without_objects": sum(1 for im in ds.images if len(im) == 0),
    }
