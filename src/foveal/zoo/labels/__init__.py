"""Label lists shipped with foveal."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def imagenet() -> tuple[str, ...]:
    """The 1000 ImageNet-1k class names, in the order torchvision uses."""
    text = resources.files(__package__).joinpath("imagenet.txt").read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line)
