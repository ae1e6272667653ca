"""Detection dataset records: :class:`DetectionImage`, :class:`DetectionDataset`, the problems a
reader finds, and the file helpers the COCO, VOC and YOLO readers and writers share.

The readers (:mod:`foveal.data.coco`, :mod:`foveal.data.voc`, :mod:`foveal.data.yolo`) build on
this module; :mod:`foveal.data.detection` dispatches to them by format.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from foveal.errors import FovealError
from foveal.utils.files import atomic_copy


class DatasetError(FovealError, ValueError):
    """A dataset could not be read or written (bad layout, corrupt label file, unknown class)."""


@dataclass
class Problem:
    """One thing wrong with a dataset.

    ``kind`` is one of the kinds listed in :mod:`foveal.data.check` (``corrupt_label``,
    ``missing_image``, ``box_outside``, ``zero_area``, ``unknown_class``, ``duplicate_id`` ...).
    """

    kind: str
    source: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "source": self.source, "message": self.message}


@dataclass
class DetectionImage:
    """One image and its boxes.

    Attributes:
        path: the image file.
        width, height: image size in pixels (from the label file, or the image header).
        boxes: (N, 4) float32 ``xyxy`` pixels.
        class_ids: (N,) int64 indices into the dataset's ``classes``.
        difficult: (N,) bool, boxes ignored by evaluation.
        split: ``"train"``, ``"val"``, ``"test"`` ... or ``None``.
        id: the image id of the source format (COCO id, VOC/YOLO file stem).
        label_file: the label file it came from (VOC XML, YOLO txt), if any.
    """

    path: Path
    width: int
    height: int
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    class_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    difficult: np.ndarray | None = None
    split: str | None = None
    id: int | str | None = None
    label_file: Path | None = None

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.boxes = np.asarray(self.boxes, np.float32).reshape(-1, 4)
        self.class_ids = np.asarray(self.class_ids, np.int64).reshape(-1)
        n = len(self.boxes)
        self.difficult = (
            np.zeros(n, bool)
            if self.difficult is None
            else np.asarray(self.difficult, bool).reshape(-1)
        )
        if not (len(self.class_ids) == len(self.difficult) == n):
            raise DatasetError(
                f"{self.path}: {n} boxes but {len(self.class_ids)} class ids and "
                f"{len(self.difficult)} difficult flags; they must match"
            )
        self.width, self.height = int(self.width), int(self.height)

    def __len__(self) -> int:
        return len(self.boxes)

    @property
    def file_name(self) -> str:
        return self.path.name


@dataclass
class DetectionDataset:
    """Images with boxes, the class names, and what went wrong while reading (``problems``)."""

    images: list[DetectionImage]
    classes: list[str]
    format: str = ""
    root: Path | None = None
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images)

    def __iter__(self) -> Iterator[DetectionImage]:
        return iter(self.images)

    def __getitem__(self, i: int) -> DetectionImage:
        return self.images[i]

    @property
    def num_boxes(self) -> int:
        return sum(len(im) for im in self.images)

    @property
    def splits(self) -> dict[str, int]:
        """Images per split (``"-"`` for images without one)."""
        return dict(sorted(Counter(im.split or "-" for im in self.images).items()))

    def class_counts(self) -> dict[str, int]:
        counts = Counter(int(c) for im in self.images for c in im.class_ids)
        return {name: counts.get(i, 0) for i, name in enumerate(self.classes)}

    def subset(self, split: str | None) -> DetectionDataset:
        """The images of one split (all images for ``None``).

        Raises:
            DatasetError: no image is in that split.
        """
        if split is None:
            return self
        images = [im for im in self.images if im.split == split]
        if not images:
            have = ", ".join(k for k in self.splits if k != "-") or "none"
            raise DatasetError(f"no images in split {split!r}; the splits here are: {have}")
        return replace(self, images=images, problems=list(self.problems))

    def summary(self) -> str:
        shown = self.classes[:10]
        cls = ", ".join(shown) + (", ..." if len(self.classes) > 10 else "")
        splits = ", ".join(f"{k}={v}" for k, v in self.splits.items())
        return (
            f"{self.format or 'dataset'}: {len(self)} images, {self.num_boxes} boxes, "
            f"{len(self.classes)} classes ({cls}); splits {splits}"
        )


# ------------------------------------------------------------------------------------- helpers


def image_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` from the image header (no decoding).

    Raises:
        DatasetError: missing, empty or unreadable file.
    """
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        raise DatasetError(f"image {path} does not exist")
    if path.stat().st_size == 0:
        raise DatasetError(f"image {path} is empty (0 bytes)")
    try:
        with Image.open(path) as im:
            w, h = im.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DatasetError(f"image {path} cannot be read: {exc}") from exc
    if w <= 0 or h <= 0:
        raise DatasetError(f"image {path} has an empty size {w}x{h}")
    return w, h


class ProblemCollector:
    """What a reader does with a problem: raise it in strict mode, else record it in ``problems``.

    >>> report = ProblemCollector(strict=False)
    >>> report("zero_area", "a.xml", "box 0 has no area")
    >>> [p.kind for p in report.problems]
    ['zero_area']
    """

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.problems: list[Problem] = []

    def __call__(self, kind: str, source: object, message: str) -> None:
        if self.strict:
            raise DatasetError(f"{source}: {message}")
        self.problems.append(Problem(kind, str(source), message))


def place_image(src: Path, dst: Path, mode: str) -> None:
    """Put an image file at ``dst``: ``copy`` it, hard-``link`` it (a copy across file systems),
    or ``none``."""
    if mode == "none":
        return
    if not src.is_file():
        raise DatasetError(f"image {src} does not exist; cannot {mode} it to {dst}")
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists() and dst.resolve() == src.resolve():
        return
    if mode == "link":
        try:
            dst.unlink(missing_ok=True)
            os.link(src, dst)
            return
        except OSError:
            pass
    elif mode != "copy":
        raise DatasetError(f"unknown image mode {mode!r}; expected copy, link or none")
    atomic_copy(src, dst)


def unique_names(images: list[DetectionImage], split_dirs: bool) -> None:
    """Refuse two images that would land on the same output file."""
    seen: dict[tuple[str | None, str], Path] = {}
    for im in images:
        key = (im.split if split_dirs else None, im.file_name)
        if key in seen and seen[key] != im.path:
            raise DatasetError(
                f"two images would be written as {im.file_name!r}"
                f"{f' in split {im.split!r}' if split_dirs else ''}: {seen[key]} and {im.path}; "
                "rename one of them"
            )
        seen[key] = im.path
