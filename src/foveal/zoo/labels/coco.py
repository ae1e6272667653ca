"""COCO label names (the 80 detection classes, in the contiguous order detectors are trained
with)."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def coco80() -> tuple[str, ...]:
    """The 80 COCO detection class names, index 0 = ``person``.

    >>> coco80()[:3]
    ('person', 'bicycle', 'car')
    """
    text = resources.files("foveal.zoo.labels").joinpath("coco80.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())
