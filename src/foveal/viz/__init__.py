"""Drawing results on images, kept apart from the result data classes.

:func:`annotate` draws any foveal result on a copy of any image source (path, bytes, numpy array,
PIL image) and returns an RGB ``uint8`` array; the input is never modified.

* :class:`~foveal.results.Classification`: the top-k labels and scores in a dark panel.
* :class:`~foveal.results.Detections`: a box per object in its class's colour, ``name 0.87``.
* :class:`~foveal.results.Faces`: boxes, the five landmarks as dots, and names from ``identify``.
* :class:`~foveal.results.Tracks`: boxes in each track's colour, ``#id name``, trails.
* :class:`~foveal.results.Landmarks`: hand and body skeletons, face-mesh points and outline.
* :class:`~foveal.results.TextLines`: polygons with the recognised text above them (over them,
  on a translucent box, where the page is too dense).

Every result also has ``plot(image)`` (the annotated array) and ``save(path, image)`` (written
atomically by :func:`save_annotated`).

>>> import foveal
>>> faces = foveal.detect_faces("astronaut.jpg")
>>> drawn = foveal.viz.annotate("astronaut.jpg", faces)
>>> drawn.shape, drawn.dtype
((512, 512, 3), dtype('uint8'))
>>> faces.save("astronaut-faces.png", "astronaut.jpg")
PosixPath('astronaut-faces.png')

One table maps a result class to its drawer (:data:`DRAWERS`); a new result type joins it with
:func:`register_drawer`, and ``annotate`` finds it (or a drawer of a base class) from then on.
Options such as ``line_width``, ``font_size``, ``show_scores`` or ``top_k`` pass through
``annotate``'s keyword arguments to the drawer.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from foveal.errors import ConfigError
from foveal.io import load_image
from foveal.utils.files import atomic_write_bytes
from foveal.viz.classification import draw_classification
from foveal.viz.detections import draw_detections
from foveal.viz.faces import draw_faces
from foveal.viz.landmarks import draw_landmarks
from foveal.viz.restoration import draw_restoration
from foveal.viz.segmentation import draw_segmentation
from foveal.viz.text import draw_text_lines
from foveal.viz.tracks import draw_tracks

Drawer = Callable[..., None]

DRAWERS: dict[str, Drawer] = {
    "foveal.results.Classification": draw_classification,
    "foveal.results.Detections": draw_detections,
    "foveal.results.Faces": draw_faces,
    "foveal.results.TextLines": draw_text_lines,
    "foveal.results.Tracks": draw_tracks,
    "foveal.results.Landmarks": draw_landmarks,
    "foveal.results.Restoration": draw_restoration,
    "foveal.results.Segmentation": draw_segmentation,
}
"""Result class (``"module.ClassName"``) -> drawer ``(canvas: PIL.Image, result, **options)``
that draws on the RGB canvas in place. Keyed by name so that :mod:`foveal.results` and this
package need not import each other."""


def class_key(cls: type) -> str:
    """The :data:`DRAWERS` key of a class: ``"module.QualifiedName"``."""
    return f"{cls.__module__}.{cls.__qualname__}"


def register_drawer(result_type: type | str, drawer: Drawer) -> None:
    """Make :func:`annotate` draw ``result_type`` (a class or ``"module.ClassName"``) with
    ``drawer(canvas, result, **options)``, which draws on an RGB PIL image in place."""
    DRAWERS[result_type if isinstance(result_type, str) else class_key(result_type)] = drawer


def drawer_for(result: Any) -> Drawer:
    """The drawer of ``result``'s class, or of its nearest base class that has one."""
    for cls in type(result).__mro__:
        drawer = DRAWERS.get(class_key(cls))
        if drawer is not None:
            return drawer
    known = ", ".join(sorted(key.rsplit(".", 1)[-1] for key in DRAWERS))
    raise TypeError(
        f"annotate received a {type(result).__name__}; expected a foveal result ({known}); "
        "pass the result of a foveal verb, or register a drawer with foveal.viz.register_drawer"
    )


def annotate(image: Any, result: Any, **options: Any) -> np.ndarray:
    """A copy of ``image`` (RGB ``uint8``, shape ``(H, W, 3)``) with ``result`` drawn on it.

    ``image`` is anything :func:`foveal.io.load_image` reads; it is never modified. ``options``
    go to the result type's drawer (``line_width``, ``font_size`` for all; ``show_scores``,
    ``show_landmarks``, ``show_text``, ``top_k`` where they apply).
    """
    drawer = drawer_for(result)
    canvas = Image.fromarray(load_image(image)).convert("RGB")
    drawer(canvas, result, **options)
    return np.array(canvas, dtype=np.uint8)


def save_annotated(path: str | os.PathLike, image: Any, result: Any, **options: Any) -> Path:
    """Write :func:`annotate`'s picture to ``path`` atomically, in the format its suffix names
    (``.jpg``, ``.png``, ``.webp``, ...); returns the path.

    A reader never sees a half-written file and a failed write leaves an older file in place.
    """
    out = Path(path)
    fmt = Image.registered_extensions().get(out.suffix.lower())
    if fmt is None or fmt not in Image.SAVE:
        raise ConfigError(
            f"cannot save an image as {out.name!r}: suffix {out.suffix or '(none)'!r} is not an "
            "image format Pillow writes; use .jpg, .png or .webp"
        )
    drawn = annotate(image, result, **options)
    buffer = io.BytesIO()
    Image.fromarray(drawn).save(buffer, format=fmt, **({"quality": 92} if fmt == "JPEG" else {}))
    return atomic_write_bytes(out, buffer.getvalue())


__all__ = ["DRAWERS", "annotate", "class_key", "drawer_for", "register_drawer", "save_annotated"]
