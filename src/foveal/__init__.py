"""foveal — deep learning for computer vision in a few lines.

>>> import foveal
>>> result = foveal.classify("cat.jpg")
>>> result.names[0], round(float(result.scores[0]), 2)
('Egyptian cat', 0.69)

Importing foveal is cheap: models load lazily on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public verbs live in foveal.api and are imported on first access.
_API = {"classify", "embed", "detect", "detect_faces", "identify", "read_text", "run"}
_API |= {"track", "landmarks", "classify_sequences", "restore", "segment"}
_LAZY = {
    "load_image": "foveal.io",
    "Classification": "foveal.results",
    "Detections": "foveal.results",
    "Faces": "foveal.results",
    "TextLines": "foveal.results",
    "Tracks": "foveal.results",
    "Landmarks": "foveal.results",
    "SequencePredictions": "foveal.results",
    "Restoration": "foveal.results",
    "Segmentation": "foveal.results",
    "FovealError": "foveal.errors",
    "TASKS": "foveal.tasks",
}
_SUBMODULES = {"viz", "io", "zoo", "ops", "tasks", "results"}

__all__ = sorted(_API | set(_LAZY) | {"__version__"})


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module("foveal.api"), name)
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"foveal.{name}")
    raise AttributeError(f"module 'foveal' has no attribute {name!r}")


def __dir__() -> list[str]:
    # submodules are listed (for completion) but kept out of __all__: `import *` stays cheap
    return sorted(set(__all__) | _SUBMODULES)
