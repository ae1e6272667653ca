"""Validate a detection dataset: what ``foveal data check`` reports.

>>> from foveal.data.check import check_detection_path
>>> from foveal.data.detection import DetectionDataset, DetectionImage, save_detection
>>> cup = DetectionImage("coffee.png", 600, 400, [[162, 16, 421, 295], [30, 40, 30, 90]], [0, 0])
>>> _ = save_detection(DetectionDataset([cup], ["cup"]), "cups", "voc")
>>> report = check_detection_path("cups")
>>> report.ok, report.counts()              # the second box is a line: no area
(False, {'zero_area': 1})
>>> report.problems[0].message
'box 1 [30, 40, 30, 90] has no area (needs x2 > x1, y2 > y1)'

On the BCCD blood-cell dataset (Pascal VOC; two of its boxes have zero area)::

    report = check_detection_path("BCCD")
    report.ok, report.counts()      # (False, {'zero_area': 2})

Problems (any of them makes ``ok`` false and ``foveal data check`` exit with 1):

* ``corrupt_label``: a label file that cannot be parsed (bad XML/JSON, a malformed YOLO line);
* ``missing_label``: a split list names an annotation file that does not exist;
* ``missing_image`` / ``unreadable_image``: an image file is absent, empty (0 bytes) or not an
  image;
* ``size_mismatch``: the label file's width/height differ from the image's;
* ``box_outside``: a box reaches outside the image (``x1 < 0``, ``x2 > width`` ...);
* ``zero_area``: a box with ``x2 <= x1`` or ``y2 <= y1``;
* ``unknown_class``: a class name or id that is not in the class list;
* ``duplicate_id`` / ``duplicate_image``: an id or an image file used twice;
* ``split_overlap``: one image in two splits (a leak from training into evaluation).

Images without objects are valid (negatives for training) and only counted.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from foveal.data.detection import (
    DatasetError,
    DetectionDataset,
    Problem,
    image_size,
    load_detection,
    to_dict_summary,
)


@dataclass
class CheckReport:
    """The result of a check: the dataset summary and every problem found."""

    dataset: DetectionDataset
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(p.kind for p in self.problems).items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "summary": to_dict_summary(self.dataset),
            "problem_counts": self.counts(),
            "problems": [p.to_dict() for p in self.problems],
        }

    def to_text(self, *, limit: int = 20) -> str:
        ds = self.dataset
        lines = [ds.summary()]
        empty = sum(1 for im in ds.images if len(im) == 0)
        lines.append(
            f"boxes per class: {', '.join(f'{k}={v}' for k, v in ds.class_counts().items())}"
        )
        lines.append(f"images without objects: {empty}")
        if self.ok:
            lines.append("OK: no problems found")
            return "\n".join(lines)
        lines.append(
            f"{len(self.problems)} problem{'' if len(self.problems) == 1 else 's'}: "
            + ", ".join(f"{k}={v}" for k, v in self.counts().items())
        )
        by_kind: dict[str, list[Problem]] = {}
        for p in self.problems:
            by_kind.setdefault(p.kind, []).append(p)
        for kind, items in by_kind.items():
            lines.append(f"[{kind}]")
            for p in items[:limit]:
                lines.append(f"  {p.source}: {p.message}")
            if len(items) > limit:
                lines.append(f"  ... and {len(items) - limit} more (use --json for all)")
        return "\n".join(lines)


def check_detection(ds: DetectionDataset, *, verify_images: bool = True) -> CheckReport:
    """Check a dataset read with ``strict=False`` (its reading problems are included).

    Args:
        verify_images: open every image's header: it must exist, be readable and have the size
            the labels say. Without it, only existence is checked.
    """
    problems = list(ds.problems)
    seen: dict[tuple[str | None, Path], str] = {}
    for im in ds.images:
        src = str(im.label_file or im.path)
        key = (im.split, im.path.resolve() if im.path.exists() else im.path)
        if key in seen:
            problems.append(
                Problem("duplicate_image", src, f"image {im.path} is also used by {seen[key]}")
            )
        else:
            seen[key] = src
        if verify_images:
            try:
                w, h = image_size(im.path)
            except DatasetError as exc:
                kind = "missing_image" if not im.path.exists() else "unreadable_image"
                problems.append(Problem(kind, src, str(exc)))
            else:
                if (w, h) != (im.width, im.height):
                    problems.append(
                        Problem(
                            "size_mismatch",
                            src,
                            f"labels say {im.width}x{im.height} but "
                            f"image {im.path.name} is {w}x{h}",
                        )
                    )
        elif not im.path.is_file():
            problems.append(Problem("missing_image", src, f"image {im.path} does not exist"))
        b = im.boxes
        if not len(b):
            continue
        zero = (b[:, 2] <= b[:, 0]) | (b[:, 3] <= b[:, 1])
        outside = (b[:, 0] < 0) | (b[:, 1] < 0) | (b[:, 2] > im.width) | (b[:, 3] > im.height)
        for i in np.flatnonzero(zero):
            problems.append(
                Problem(
                    "zero_area", src, f"box {i} {_fmt(b[i])} has no area (needs x2 > x1, y2 > y1)"
                )
            )
        for i in np.flatnonzero(outside & ~zero):
            problems.append(
                Problem(
                    "box_outside",
                    src,
                    f"box {i} {_fmt(b[i])} reaches outside the {im.width}x{im.height} image",
                )
            )
    return CheckReport(ds, problems)


def check_detection_path(
    path: str | os.PathLike,
    format: str | None = None,
    *,
    classes: list[str] | None = None,
    split: str | None = None,
    verify_images: bool = True,
) -> CheckReport:
    """Read ``path`` leniently and check it. Raises :class:`DatasetError` only when it cannot be
    read at all."""
    ds = load_detection(path, format, classes=classes, split=split, strict=False)
    return check_detection(ds, verify_images=verify_images)


def _fmt(box: np.ndarray) -> str:
    return "[" + ", ".join(f"{float(v):g}" for v in box) + "]"
