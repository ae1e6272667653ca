"""YOLO txt: a data yaml (``names`` and ``train``/``val``/``test`` paths), ``images/``, ``labels/``.

>>> from foveal.data.detection import DetectionDataset, DetectionImage, save_detection
>>> from foveal.data.yolo import read_yolo
>>> cup = DetectionImage("coffee.png", 600, 400, [[162, 16, 421, 295]], [0], split="val")
>>> save_detection(DetectionDataset([cup], ["cup"]), "cups", "yolo")
PosixPath('cups/data.yaml')
>>> ds = read_yolo("cups/data.yaml", split="val")
>>> ds.classes, ds.images[0].path.as_posix(), ds.images[0].boxes.round(1)
(['cup'], 'cups/images/val/coffee.png', array([[162.,  16., 421., 295.]], dtype=float32))

The yaml's ``path`` (default: the yaml's folder) is the root; each split is a folder of images, a
``.txt`` file listing image paths, or a list of those. An image's label file is its path with the
last ``images`` folder replaced by ``labels`` and the extension by ``.txt``; each line is
``class cx cy w h`` normalised to [0, 1] (a polygon ``class x1 y1 x2 y2 ...`` becomes its bounding
box). A missing or empty label file means an image without objects. Images with no split are
written to ``train``.
"""

from __future__ import annotations

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
    image_size,
    place_image,
    unique_names,
)
from foveal.utils.files import atomic_write_text

_IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".dng", ".mpo"}
_SPLIT_KEYS = ("train", "val", "test")


def _yaml_file(p: Path) -> Path:
    if p.is_file():
        return p
    for n in ("data.yaml", "dataset.yaml", "data.yml"):
        if (p / n).is_file():
            return p / n
    raise DatasetError(
        f"{p} has no data.yaml; expected a YOLO dataset (data.yaml with names and train/val paths)"
    )


def _names(data: dict[str, Any], f: Path) -> list[str]:
    names = data.get("names")
    if isinstance(names, dict):
        try:
            keys = sorted(int(k) for k in names)
        except (TypeError, ValueError) as exc:
            raise DatasetError(f"{f}: 'names' keys must be class indices 0, 1, ...") from exc
        if keys != list(range(len(keys))):
            raise DatasetError(
                f"{f}: 'names' keys are {keys}; expected 0..{len(keys) - 1} without gaps"
            )
        return [str(names[k] if k in names else names[str(k)]) for k in keys]
    if isinstance(names, list) and names:
        return [str(n) for n in names]
    nc = data.get("nc")
    if isinstance(nc, int) and nc > 0:
        return [str(i) for i in range(nc)]
    raise DatasetError(
        f"{f} has no 'names' (a list, or a mapping index: name); add the class names"
    )


def label_path(image: Path) -> Path:
    """``.../images/x/a.jpg`` -> ``.../labels/x/a.txt`` (the last ``images`` part is replaced)."""
    parts = list(image.parts)
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            return Path(*parts).with_suffix(".txt")
    return image.with_suffix(".txt")


def _list_images(entry: str, root: Path, f: Path) -> list[Path]:
    p = Path(entry)
    p = p if p.is_absolute() else root / p
    if p.is_dir():
        return sorted(q for q in p.rglob("*") if q.suffix.lower() in _IMAGE_EXTS and q.is_file())
    if p.is_file() and p.suffix == ".txt":
        out = []
        for ln in p.read_text(encoding="utf-8").splitlines():
            ln = ln.strip()
            if ln:
                q = Path(ln)
                out.append(q if q.is_absolute() else (p.parent / q).resolve())
        return out
    raise DatasetError(
        f"{f}: split path {entry!r} resolves to {p}, which is neither a folder nor a .txt list"
    )


def _parse_labels(
    lf: Path, w: int, h: int, nc: int, report: ProblemCollector
) -> tuple[np.ndarray, np.ndarray] | None:
    boxes, cls = [], []
    try:
        text = lf.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report("corrupt_label", lf, f"cannot be read as text: {exc}")
        return None
    for n, ln in enumerate(text.splitlines(), 1):
        vals = ln.split()
        if not vals:
            continue
        try:
            c = int(vals[0])
            nums = [float(v) for v in vals[1:]]
        except ValueError:
            report(
                "corrupt_label",
                lf,
                f"line {n} {ln.strip()[:60]!r}: expected 'class cx cy w h' numbers",
            )
            continue
        if len(nums) == 4:
            cx, cy, bw, bh = nums
            box = [(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h]
        elif len(nums) >= 6 and len(nums) % 2 == 0:
            xs, ys = np.array(nums[0::2]), np.array(nums[1::2])
            box = [xs.min() * w, ys.min() * h, xs.max() * w, ys.max() * h]
        else:
            report(
                "corrupt_label",
                lf,
                f"line {n} has {len(vals)} values; expected 5 ('class cx cy w h') "
                "or a polygon 'class x1 y1 x2 y2 ...'",
            )
            continue
        if not np.all(np.isfinite(box)):
            report("corrupt_label", lf, f"line {n} has a value that is not a finite number")
            continue
        if not 0 <= c < nc:
            report(
                "unknown_class",
                lf,
                f"line {n} has class {c}; the data yaml names {nc} classes (0..{nc - 1})",
            )
            continue
        boxes.append(box)
        cls.append(c)
    return np.array(boxes, np.float32).reshape(-1, 4), np.array(cls, np.int64)


def read_yolo(
    path: str | os.PathLike, *, split: str | None = None, strict: bool = True
) -> DetectionDataset:
    """Read a YOLO dataset from its data yaml or its folder (see the module docs)."""
    import yaml

    f = _yaml_file(Path(path))
    try:
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{f} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise DatasetError(
            f"{f} is not a YOLO data yaml; expected a mapping with names and train/val"
        )
    classes = _names(data, f)
    root = Path(data["path"]) if data.get("path") else f.parent
    if not root.is_absolute():
        root = (f.parent / root) if (f.parent / root).is_dir() else root
    keys = [k for k in _SPLIT_KEYS if data.get(k)]
    if not keys:
        raise DatasetError(f"{f} names no split paths; expected 'train' (and 'val', 'test') keys")
    if split is not None:
        if split not in keys:
            raise DatasetError(
                f"{f} has no split {split!r}; the splits here are: {', '.join(keys)}"
            )
        keys = [split]
    report = ProblemCollector(strict)
    images: list[DetectionImage] = []
    split_of: dict[Path, str] = {}
    for key in keys:
        entries = data[key] if isinstance(data[key], list) else [data[key]]
        files: list[Path] = []
        for e in entries:
            files += _list_images(str(e), root, f)
        dup = [p for p, k in Counter(files).items() if k > 1]
        if dup:
            report(
                "duplicate_id",
                f,
                f"split {key!r} lists {len(dup)} images more than once, e.g. {dup[0]}",
            )
        for img in dict.fromkeys(files):
            if img in split_of:
                report("split_overlap", img, f"is in both {split_of[img]!r} and {key!r}")
                continue
            split_of[img] = key
            try:
                w, h = image_size(img)
            except DatasetError as exc:
                report("missing_image" if not img.exists() else "unreadable_image", img, str(exc))
                continue
            lf = label_path(img)
            parsed = (
                _parse_labels(lf, w, h, len(classes), report)
                if lf.is_file()
                else (np.zeros((0, 4), np.float32), np.zeros(0, np.int64))
            )
            if parsed is None:
                continue
            images.append(
                DetectionImage(
                    path=img,
                    width=w,
                    height=h,
                    boxes=parsed[0],
                    class_ids=parsed[1],
                    split=key,
                    id=img.stem,
                    label_file=lf if lf.is_file() else None,
                )
            )
    return DetectionDataset(
        images=images, classes=classes, format="yolo", root=root, problems=report.problems
    )


def _line(box: np.ndarray, c: int, w: int, h: int) -> str:
    x1, y1, x2, y2 = (float(v) for v in box)
    vals = ((x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h)
    return f"{c} " + " ".join(f"{v:.6f}" for v in vals)


def write_yolo(ds: DetectionDataset, out: Path, *, images: str = "copy") -> Path:
    """Write ``images/{split}/``, ``labels/{split}/`` and ``data.yaml``; returns the yaml's path."""
    import yaml

    split_of = {id(im): im.split or "train" for im in ds.images}
    unique_names([_with_split(im, split_of[id(im)]) for im in ds.images], split_dirs=True)
    stems = Counter((split_of[id(im)], Path(im.file_name).stem) for im in ds.images)
    clash = [s for s, k in stems.items() if k > 1]
    if clash:
        raise DatasetError(
            f"images share the file stem {clash[0][1]!r} in split {clash[0][0]!r}; YOLO names "
            "label files by stem, so rename one of them"
        )
    for im in ds.images:
        s = split_of[id(im)]
        place_image(im.path, out / "images" / s / im.file_name, images)
        lines = [
            _line(b, int(c), im.width, im.height)
            for b, c in zip(im.boxes, im.class_ids, strict=True)
        ]
        atomic_write_text(
            out / "labels" / s / f"{Path(im.file_name).stem}.txt",
            "\n".join(lines) + ("\n" if lines else ""),
        )
    splits = sorted(
        set(split_of.values()), key=lambda s: (_SPLIT_KEYS.index(s) if s in _SPLIT_KEYS else 9, s)
    )
    doc: dict[str, Any] = {s: f"images/{s}" for s in splits}
    doc["nc"] = len(ds.classes)
    doc["names"] = dict(enumerate(ds.classes))
    yml = out / "data.yaml"
    atomic_write_text(yml, yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return yml


def _with_split(im: DetectionImage, split: str) -> DetectionImage:
    from dataclasses import replace

    return replace(im, split=split)
