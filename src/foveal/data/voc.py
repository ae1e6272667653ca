"""Pascal VOC: ``Annotations/*.xml``, ``JPEGImages/``, ``ImageSets/Main/{split}.txt``.

>>> from foveal.data.detection import DetectionDataset, DetectionImage, save_detection
>>> from foveal.data.voc import read_voc
>>> cup = DetectionImage("coffee.png", 600, 400, [[162, 16, 421, 295]], [0], split="test")
>>> save_detection(DetectionDataset([cup], ["cup"]), "cups", "voc")
PosixPath('cups')
>>> ds = read_voc("cups", split="test")   # cups/Annotations/coffee.xml, cups/JPEGImages/coffee.png
>>> len(ds), ds.classes, ds.images[0].boxes
(1, ['cup'], array([[162.,  16., 421., 295.]], dtype=float32))

On the BCCD blood-cell dataset::

    ds = read_voc("BCCD", split="test")
    len(ds), ds.classes             # (72, ['Platelets', 'RBC', 'WBC'])

Class names: ``classes`` if given, else ``classes.txt`` at the root (one name a line, written by
:func:`write_voc`), else the sorted set of names found. Split lists whose name holds ``_`` (VOC's
per-class lists such as ``cat_train.txt``) are ignored, and so is ``trainval`` when ``train`` and
``val`` exist.
"""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import numpy as np

from foveal.data.detection_records import (
    DatasetError,
    DetectionDataset,
    DetectionImage,
    ProblemCollector,
    image_size,
    place_image,
    unique_names,
)
from foveal.utils.files import atomic_write_text

_IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def _split_lists(root: Path, report: ProblemCollector) -> dict[str, list[str]]:
    main = root / "ImageSets" / "Main"
    if not main.is_dir():
        return {}
    lists: dict[str, list[str]] = {}
    for f in sorted(main.glob("*.txt")):
        if "_" in f.stem:
            continue
        ids = [
            ln.split()[0]
            for ln in f.read_text(encoding="utf-8", errors="replace").splitlines()
            if ln.strip()
        ]
        dup = sorted(k for k, v in Counter(ids).items() if v > 1)
        if dup:
            report("duplicate_id", f, f"{len(dup)} ids listed more than once, e.g. {dup[0]!r}")
        lists[f.stem] = list(dict.fromkeys(ids))
    if "trainval" in lists and "train" in lists and "val" in lists:
        del lists["trainval"]
    return lists


def _text(node: ET.Element, path: str) -> str | None:
    el = node.find(path)
    return None if el is None or el.text is None else el.text.strip()


def _find_image(root: Path, xml: Path, filename: str | None) -> Path:
    images = root / "JPEGImages"
    if filename:
        p = images / filename
        if p.is_file():
            return p
    for ext in _IMAGE_EXTS:
        p = images / f"{xml.stem}{ext}"
        if p.is_file():
            return p
    return images / (filename or f"{xml.stem}.jpg")


def _parse(
    xml: Path, root: Path, report: ProblemCollector
) -> tuple[DetectionImage, list[str]] | None:
    try:
        ann = ET.parse(xml).getroot()
    except (ET.ParseError, OSError) as exc:
        report("corrupt_label", xml, f"is not valid XML: {exc}")
        return None
    if ann.tag != "annotation":
        report("corrupt_label", xml, f"root element is <{ann.tag}>; expected <annotation>")
        return None
    path = _find_image(root, xml, _text(ann, "filename"))
    try:
        w = int(float(_text(ann, "size/width") or 0))
        h = int(float(_text(ann, "size/height") or 0))
    except ValueError:
        report("corrupt_label", xml, "<size> has a width or height that is not a number")
        return None
    if w <= 0 or h <= 0:  # size missing: read it from the image header
        try:
            w, h = image_size(path)
        except DatasetError as exc:
            report(
                "missing_image" if not path.exists() else "unreadable_image",
                xml,
                f"has no <size> and its image cannot give one: {exc}",
            )
            return None
    boxes, names, difficult = [], [], []
    for i, obj in enumerate(ann.findall("object")):
        name = (obj.findtext("name") or "").strip()
        bb = obj.find("bndbox")
        try:
            box = [float(bb.findtext(k) or "nan") for k in ("xmin", "ymin", "xmax", "ymax")]  # type: ignore[union-attr]
        except (ValueError, AttributeError):
            box = [math.nan]
        if not name or not all(math.isfinite(v) for v in box):
            report(
                "corrupt_label",
                xml,
                f"object {i} lacks a <name> or a numeric <bndbox> xmin/ymin/xmax/ymax",
            )
            continue
        boxes.append(box)
        names.append(name)
        difficult.append((obj.findtext("difficult") or "0").strip() not in ("0", "false", ""))
    im = DetectionImage(
        path=path,
        width=w,
        height=h,
        boxes=np.array(boxes, np.float32).reshape(-1, 4),
        class_ids=np.zeros(len(boxes), np.int64),
        difficult=np.array(difficult, bool),
        id=xml.stem,
        label_file=xml,
    )
    return im, names


def read_voc(
    root: str | os.PathLike,
    *,
    classes: list[str] | None = None,
    split: str | None = None,
    strict: bool = True,
) -> DetectionDataset:
    """Read a Pascal VOC folder (see the module docs)."""
    root = Path(root)
    ann_dir = root / "Annotations"
    if not ann_dir.is_dir():
        raise DatasetError(f"{root} has no Annotations/ folder; expected a Pascal VOC dataset")
    report = ProblemCollector(strict)
    lists = _split_lists(root, report)
    split_of: dict[str, str] = {}
    for name, ids in lists.items():
        for i in ids:
            if i in split_of and split_of[i] != name:
                report(
                    "split_overlap",
                    root / "ImageSets" / "Main" / f"{name}.txt",
                    f"image {i!r} is in both {split_of[i]!r} and {name!r}",
                )
            split_of.setdefault(i, name)
    if split is not None:
        if split not in lists:
            have = ", ".join(lists) or "none"
            raise DatasetError(
                f"{root} has no ImageSets/Main/{split}.txt; the splits here are: {have}"
            )
        xmls = []
        for i in lists[split]:
            x = ann_dir / f"{i}.xml"
            if x.is_file():
                xmls.append(x)
            else:
                report("missing_label", x, f"is listed in split {split!r} but does not exist")
    else:
        xmls = sorted(ann_dir.glob("*.xml"))
        known = {x.stem for x in xmls}
        for name, ids in lists.items():
            missing = [i for i in ids if i not in known]
            if missing:
                report(
                    "missing_label",
                    root / "ImageSets" / "Main" / f"{name}.txt",
                    f"lists {len(missing)} ids without an XML file, e.g. {missing[0]!r}",
                )
    if not xmls and split is None:
        raise DatasetError(f"{ann_dir} holds no .xml files")
    parsed = [p for p in (_parse(x, root, report) for x in xmls) if p is not None]

    if classes is None and (root / "classes.txt").is_file():
        classes = [
            ln.strip()
            for ln in (root / "classes.txt").read_text(encoding="utf-8").splitlines()
            if ln.strip()
        ]
    if classes is None:
        classes = sorted({n for _, names in parsed for n in names})
    index = {n: i for i, n in enumerate(classes)}
    images = []
    for im, names in parsed:
        keep = np.array([n in index for n in names], bool)
        for n in sorted({n for n in names if n not in index}):
            report("unknown_class", im.label_file, f"class {n!r} is not one of {classes}")
        im.boxes, im.difficult = im.boxes[keep], im.difficult[keep]
        im.class_ids = np.array([index[n] for n in names if n in index], np.int64)
        im.split = split_of.get(str(im.id))
        images.append(im)
    return DetectionDataset(
        images=images, classes=list(classes), format="voc", root=root, problems=report.problems
    )


def _num(v: float) -> str:
    r = round(float(v))
    return str(r) if abs(v - r) < 1e-3 else f"{v:.3f}".rstrip("0").rstrip(".")


def _xml(im: DetectionImage, classes: list[str]) -> str:
    ann = ET.Element("annotation")
    ET.SubElement(ann, "folder").text = "JPEGImages"
    ET.SubElement(ann, "filename").text = im.file_name
    size = ET.SubElement(ann, "size")
    ET.SubElement(size, "width").text = str(im.width)
    ET.SubElement(size, "height").text = str(im.height)
    ET.SubElement(size, "depth").text = "3"
    ET.SubElement(ann, "segmented").text = "0"
    for box, c, d in zip(im.boxes, im.class_ids, im.difficult, strict=True):
        obj = ET.SubElement(ann, "object")
        ET.SubElement(obj, "name").text = classes[int(c)]
        ET.SubElement(obj, "pose").text = "Unspecified"
        ET.SubElement(obj, "truncated").text = "0"
        ET.SubElement(obj, "difficult").text = "1" if d else "0"
        bb = ET.SubElement(obj, "bndbox")
        for k, v in zip(("xmin", "ymin", "xmax", "ymax"), box, strict=True):
            ET.SubElement(bb, k).text = _num(float(v))
    ET.indent(ann, space="\t")
    return ET.tostring(ann, encoding="unicode") + "\n"


def write_voc(ds: DetectionDataset, out: Path, *, images: str = "copy") -> Path:
    """Write ``ds`` as a VOC folder (plus ``classes.txt`` to keep the class order)."""
    unique_names(ds.images, split_dirs=False)
    stems = Counter(Path(im.file_name).stem for im in ds.images)
    clash = [s for s, k in stems.items() if k > 1]
    if clash:
        raise DatasetError(
            f"images share the file stem {clash[0]!r} (e.g. a.jpg and a.png); VOC names "
            "annotations by stem, so rename one of them"
        )
    for im in ds.images:
        place_image(im.path, out / "JPEGImages" / im.file_name, images)
        atomic_write_text(
            out / "Annotations" / f"{Path(im.file_name).stem}.xml", _xml(im, ds.classes)
        )
    splits: dict[str, list[str]] = {}
    for im in ds.images:
        if im.split:
            splits.setdefault(im.split, []).append(Path(im.file_name).stem)
    for name, ids in splits.items():
        atomic_write_text(out / "ImageSets" / "Main" / f"{name}.txt", "\n".join(ids) + "\n")
    atomic_write_text(out / "classes.txt", "\n".join(ds.classes) + "\n")
    return out
