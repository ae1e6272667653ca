"""Results: small validated dataclasses of numpy arrays.

Every result is data, validated on construction, filterable with a boolean mask or index array,
and serialisable with ``to_dict()``/``to_json()``. Drawing lives in :mod:`foveal.viz`, imported
only when a result's ``plot(image)`` (annotated RGB array) or ``save(path, image)`` is called.

Box format, everywhere in foveal: ``xyxy`` = ``[x1, y1, x2, y2]`` in pixels of the *original*
image, float32, with ``(x1, y1)`` the top-left corner and ``(x2, y2)`` the bottom-right corner in
continuous coordinates (a box covering pixel columns 0..9 has ``x1=0, x2=10``).

>>> import numpy as np
>>> from foveal.results import Detections
>>> d = Detections(xyxy=np.array([[0, 0, 10, 10], [5, 5, 20, 20]], np.float32),
...                scores=np.array([0.9, 0.3], np.float32), class_ids=np.array([0, 2]),
...                names=["person", "car"])
>>> len(d[d.scores > 0.5])
1
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import FovealError


class ResultError(FovealError, ValueError):
    """A result was constructed with inconsistent arrays."""


def _as(arr: Any, dtype: Any, shape_tail: tuple[int, ...], name: str) -> np.ndarray:
    out = np.asarray(arr, dtype=dtype)
    if out.ndim == 1 and out.size == 0 and shape_tail:
        out = out.reshape((0, *shape_tail))
    if out.shape[1:] != shape_tail:
        want = "(N" + "".join(f", {d}" for d in shape_tail) + ")"
        raise ResultError(f"{name} has shape {out.shape}; expected {want}")
    return out


def _round(x: np.ndarray, nd: int = 4) -> Any:
    return np.round(x.astype(np.float64), nd).tolist()


class _Filterable:
    """What every result shares: filtering over every per-item field, JSON, plot and save."""

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        index = np.asarray(index)
        if index.dtype == np.bool_ and index.shape != (len(self),):
            raise ResultError(f"mask has shape {index.shape}; expected ({len(self)},)")
        idx = np.flatnonzero(index) if index.dtype == np.bool_ else index.astype(np.int64)
        kwargs: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if f.metadata.get("per_item"):
                if value is None:
                    kwargs[f.name] = None
                elif isinstance(value, np.ndarray):
                    kwargs[f.name] = value[idx]
                else:
                    kwargs[f.name] = [value[i] for i in idx]
            else:
                kwargs[f.name] = value
        return type(self)(**kwargs)

    def _check_where(self) -> None:
        """Normalise ``source`` / ``index`` (shared by every result's ``__post_init__``)."""
        source, index = self.source, self.index  # type: ignore[attr-defined]
        if source is not None:
            self.source = os.fspath(source)  # type: ignore[attr-defined]
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
                raise ResultError(
                    f"index is {index!r}; expected a frame (from 0) or page (from 1) number"
                )
            self.index = int(index)  # type: ignore[attr-defined]

    def _where(self) -> dict[str, Any]:
        """``source`` and ``index`` for ``to_dict()``, only those that are set."""
        where = {"source": self.source, "index": self.index}  # type: ignore[attr-defined]
        return {k: v for k, v in where.items() if v is not None}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)  # type: ignore[attr-defined]

    def plot(self, image: Any, **options: Any) -> np.ndarray:
        """``image`` (any source :func:`foveal.io.load_image` reads) with this result drawn on a
        copy: an RGB ``uint8`` array. Options go to the drawer (see :mod:`foveal.viz`)."""
        from foveal.viz import annotate

        return annotate(image, self, **options)

    def save(self, path: str | os.PathLike, image: Any, **options: Any) -> Path:
        """Write ``image`` with this result drawn on it to ``path`` (format from the suffix,
        written atomically); returns the path."""
        from foveal.viz import save_annotated

        return save_annotated(path, image, self, **options)


def _item(**kw: Any) -> Any:
    return field(metadata={"per_item": True}, **kw)


@dataclass
class Classification(_Filterable):
    """Top-k classes for one image, best first.

    Attributes:
        class_ids: (k,) int64 class indices into the model's label list.
        scores: (k,) float32 probabilities (softmax), descending.
        names: k label names.
        model: the zoo name of the model that produced it.
        source: the file the image came from (a video or PDF for frames and pages), if any.
        index: the video frame (from 0) or PDF page (from 1) inside ``source``, if any.
    """

    class_ids: np.ndarray = _item()
    scores: np.ndarray = _item()
    names: list[str] = _item()
    model: str = ""
    source: str | None = None
    index: int | None = None

    def __post_init__(self) -> None:
        self._check_where()
        self.class_ids = _as(self.class_ids, np.int64, (), "class_ids")
        self.scores = _as(self.scores, np.float32, (), "scores")
        self.names = [str(n) for n in self.names]
        if not (len(self.class_ids) == len(self.scores) == len(self.names)):
            raise ResultError(
                f"class_ids ({len(self.class_ids)}), scores ({len(self.scores)}) and names "
                f"({len(self.names)}) must have the same length"
            )

    def __len__(self) -> int:
        return len(self.class_ids)

    @property
    def top1(self) -> str:
        if not len(self):
            raise ResultError("empty classification has no top-1")
        return self.names[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._where(),
            "model": self.model,
            "top": [
                {"class_id": int(c), "name": n, "score": round(float(s), 6)}
                for c, s, n in zip(self.class_ids, self.scores, self.names, strict=True)
            ],
        }


@dataclass
class Detections(_Filterable):
    """Objects found in one image.

    Attributes:
        xyxy: (N, 4) float32 boxes ``[x1, y1, x2, y2]`` in original-image pixels.
        scores: (N,) float32 confidences in [0, 1].
        class_ids: (N,) int64 class indices.
        names: N class names.
        source: the file the image came from (a video or PDF for frames and pages), if any.
        index: the video frame (from 0) or PDF page (from 1) inside ``source``, if any.
    """

    xyxy: np.ndarray = _item()
    scores: np.ndarray = _item()
    class_ids: np.ndarray = _item()
    names: list[str] = _item()
    model: str = ""
    source: str | None = None
    index: int | None = None

    def __post_init__(self) -> None:
        self._check_where()
        self.xyxy = _as(self.xyxy, np.float32, (4,), "xyxy")
        self.scores = _as(self.scores, np.float32, (), "scores")
        self.class_ids = _as(self.class_ids, np.int64, (), "class_ids")
        self.names = [str(n) for n in self.names]
        n = len(self.xyxy)
        if not (len(self.scores) == len(self.class_ids) == len(self.names) == n):
            raise ResultError(
                f"xyxy ({n}), scores ({len(self.scores)}), class_ids ({len(self.class_ids)}) and "
                f"names ({len(self.names)}) must have the same length"
            )
        if (
            n
            and (self.xyxy[:, 2] < self.xyxy[:, 0]).any()
            | (self.xyxy[:, 3] < self.xyxy[:, 1]).any()
        ):
            raise ResultError("every box needs x2 >= x1 and y2 >= y1 (format xyxy)")

    def __len__(self) -> int:
        return len(self.xyxy)

    @classmethod
    def empty(cls, model: str = "") -> Detections:
        return cls(np.zeros((0, 4)), np.zeros(0), np.zeros(0), [], model)

    @property
    def area(self) -> np.ndarray:
        return (self.xyxy[:, 2] - self.xyxy[:, 0]) * (self.xyxy[:, 3] - self.xyxy[:, 1])

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._where(),
            "model": self.model,
            "detections": [
                {"box": _round(b, 2), "score": round(float(s), 6), "class_id": int(c), "name": n}
                for b, s, c, n in zip(
                    self.xyxy, self.scores, self.class_ids, self.names, strict=True
                )
            ],
        }


@dataclass
class Faces(_Filterable):
    """Faces found in one image, optionally with embeddings and identities.

    Attributes:
        xyxy: (N, 4) float32 face boxes in original-image pixels.
        scores: (N,) float32 detection confidences.
        landmarks: (N, 5, 2) float32 points: right eye, left eye, nose tip, right and left mouth
            corner (as seen in the image: "right eye" is the subject's right, on the image's left).
        embeddings: optional (N, D) float32 face embeddings.
        names: optional N identities (``"unknown"`` when no enrolled person is close enough).
        distances: optional (N,) float32 distance to the matched identity.
        source: the file the image came from (a video or PDF for frames and pages), if any.
        index: the video frame (from 0) or PDF page (from 1) inside ``source``, if any.
    """

    xyxy: np.ndarray = _item()
    scores: np.ndarray = _item()
    landmarks: np.ndarray = _item()
    embeddings: np.ndarray | None = _item(default=None)
    names: list[str] | None = _item(default=None)
    distances: np.ndarray | None = _item(default=None)
    model: str = ""
    source: str | None = None
    index: int | None = None

    def __post_init__(self) -> None:
        self._check_where()
        self.xyxy = _as(self.xyxy, np.float32, (4,), "xyxy")
        self.scores = _as(self.scores, np.float32, (), "scores")
        self.landmarks = _as(self.landmarks, np.float32, (5, 2), "landmarks")
        n = len(self.xyxy)
        if not (len(self.scores) == len(self.landmarks) == n):
            raise ResultError(
                f"xyxy ({n}), scores ({len(self.scores)}) and landmarks ({len(self.landmarks)}) "
                "must have the same length"
            )
        if self.embeddings is not None:
            self.embeddings = np.asarray(self.embeddings, np.float32)
            if self.embeddings.ndim != 2 or len(self.embeddings) != n:
                raise ResultError(
                    f"embeddings has shape {self.embeddings.shape}; expected ({n}, D)"
                )
        if self.names is not None:
            self.names = [str(x) for x in self.names]
            if len(self.names) != n:
                raise ResultError(f"names has {len(self.names)} entries; expected {n}")
        if self.distances is not None:
            self.distances = _as(self.distances, np.float32, (), "distances")
            if len(self.distances) != n:
                raise ResultError(f"distances has {len(self.distances)} entries; expected {n}")

    def __len__(self) -> int:
        return len(self.xyxy)

    @classmethod
    def empty(cls, model: str = "") -> Faces:
        return cls(np.zeros((0, 4)), np.zeros(0), np.zeros((0, 5, 2)), model=model)

    def to_dict(self) -> dict[str, Any]:
        out = []
        for i in range(len(self)):
            rec: dict[str, Any] = {
                "box": _round(self.xyxy[i], 2),
                "score": round(float(self.scores[i]), 6),
                "landmarks": _round(self.landmarks[i], 2),
            }
            if self.names is not None:
                rec["name"] = self.names[i]
            if self.distances is not None:
                rec["distance"] = round(float(self.distances[i]), 6)
            out.append(rec)
        return {**self._where(), "model": self.model, "faces": out}


@dataclass
class TextLines(_Filterable):
    """Text read from one image, in reading order.

    Attributes:
        polygons: (N, 4, 2) float32 corner points of each line (clockwise from top-left), pixels.
        texts: N recognised strings.
        scores: (N,) float32 recognition confidences in [0, 1].
        paragraph_ids: (N,) int64 paragraph index of each line (lines of one paragraph share it).
        source: the file the image came from (a video or PDF for frames and pages), if any.
        index: the video frame (from 0) or PDF page (from 1) inside ``source``, if any.
    """

    polygons: np.ndarray = _item()
    texts: list[str] = _item()
    scores: np.ndarray = _item()
    paragraph_ids: np.ndarray | None = _item(default=None)
    model: str = ""
    source: str | None = None
    index: int | None = None

    def __post_init__(self) -> None:
        self._check_where()
        self.polygons = _as(self.polygons, np.float32, (4, 2), "polygons")
        self.scores = _as(self.scores, np.float32, (), "scores")
        self.texts = [str(t) for t in self.texts]
        n = len(self.polygons)
        if self.paragraph_ids is None:
            self.paragraph_ids = np.arange(n, dtype=np.int64)
        self.paragraph_ids = _as(self.paragraph_ids, np.int64, (), "paragraph_ids")
        if not (len(self.texts) == len(self.scores) == len(self.paragraph_ids) == n):
            raise ResultError(
                f"polygons ({n}), texts ({len(self.texts)}), scores ({len(self.scores)}) and "
                f"paragraph_ids ({len(self.paragraph_ids)}) must have the same length"
            )

    def __len__(self) -> int:
        return len(self.polygons)

    @classmethod
    def empty(cls, model: str = "") -> TextLines:
        return cls(np.zeros((0, 4, 2)), [], np.zeros(0), model=model)

    @property
    def text(self) -> str:
        """Plain text: lines joined by newlines, paragraphs separated by a blank line."""
        parts: list[str] = []
        prev = None
        for t, p in zip(self.texts, self.paragraph_ids, strict=True):  # type: ignore[arg-type]
            if prev is not None and p != prev:
                parts.append("")
            parts.append(t)
            prev = p
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._where(),
            "model": self.model,
            "text": self.text,
            "lines": [
                {
                    "polygon": _round(poly, 2),
                    "text": t,
                    "score": round(float(s), 6),
                    "paragraph": int(p),
                }
                for poly, t, s, p in zip(
                    self.polygons,
                    self.texts,
                    self.scores,
                    self.paragraph_ids,
                    strict=True,  # type: ignore[arg-type]
                )
            ],
        }


@dataclass
class Segmentation(_Filterable):
    """A class for every pixel of one image.

    Attributes:
        class_map: (H, W) uint8 class id of every pixel (index into ``labels``).
        labels: the class names, index = class id.
        probabilities: (K, H, W) float32 per-class probabilities, when asked for (else None).
        mask_values: the pixel value that stands for each class in a mask PNG (the training
            masks' convention: ``(0, 255)`` for binary masks, ``(0, 1, 2, ...)`` for class ids).
        model: the model that produced it.
        source: the file the image came from (a video or PDF for frames and pages), if any.
        index: the video frame (from 0) or PDF page (from 1) inside ``source``, if any.

    >>> import numpy as np
    >>> s = Segmentation(np.array([[0, 1], [1, 1]], np.uint8), ["membrane", "cell"],
    ...                  mask_values=(0, 255))
    >>> s.areas, s.to_mask().tolist()
    ({'membrane': 1, 'cell': 3}, [[0, 255], [255, 255]])
    """

    class_map: np.ndarray
    labels: list[str]
    probabilities: np.ndarray | None = None
    mask_values: tuple[int, ...] = ()
    model: str = ""
    source: str | None = None
    index: int | None = None

    def __post_init__(self) -> None:
        self._check_where()
        self.class_map = np.asarray(self.class_map)
        if self.class_map.ndim != 2:
            raise ResultError(f"class_map has shape {self.class_map.shape}; expected (H, W)")
        self.class_map = self.class_map.astype(np.uint8, copy=False)
        self.labels = [str(n) for n in self.labels]
        k = len(self.labels)
        if k < 1 or k > 256:
            raise ResultError(f"{k} labels; a segmentation has 1 to 256 classes")
        if self.class_map.size and int(self.class_map.max()) >= k:
            raise ResultError(f"class_map holds id {int(self.class_map.max())}; {k} labels")
        if self.probabilities is not None:
            self.probabilities = np.asarray(self.probabilities, np.float32)
            if self.probabilities.shape != (k, *self.class_map.shape):
                raise ResultError(
                    f"probabilities have shape {self.probabilities.shape}; "
                    f"expected {(k, *self.class_map.shape)}"
                )
        self.mask_values = tuple(int(v) for v in (self.mask_values or range(k)))
        if len(self.mask_values) != k:
            raise ResultError(f"{len(self.mask_values)} mask_values for {k} labels")

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def shape(self) -> tuple[int, int]:
        return self.class_map.shape  # type: ignore[return-value]

    @property
    def areas(self) -> dict[str, int]:
        """Pixels of every class."""
        counts = np.bincount(self.class_map.ravel(), minlength=len(self.labels))
        return {n: int(c) for n, c in zip(self.labels, counts, strict=False)}

    def mask(self, class_id: int) -> np.ndarray:
        """(H, W) bool: the pixels of one class."""
        return self.class_map == class_id

    def to_mask(self) -> np.ndarray:
        """The class map in the training masks' values (uint8, or uint16 past 255)."""
        lut = np.asarray(self.mask_values)
        dtype = np.uint8 if lut.max(initial=0) <= 255 else np.uint16
        return lut.astype(dtype)[self.class_map]

    def polygons(self, class_id: int, min_area: float = 0.0) -> list[np.ndarray]:
        """Outer contours of the class's regions, ``(N, 2)`` float32 x, y pixel points each
        (``cv2.findContours``), regions smaller than ``min_area`` pixels left out."""
        import cv2

        found, _ = cv2.findContours(
            self.mask(class_id).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
        )
        return [
            c.reshape(-1, 2).astype(np.float32) for c in found if cv2.contourArea(c) >= min_area
        ]

    def to_dict(self) -> dict[str, Any]:
        total = max(self.class_map.size, 1)
        return {
            **self._where(),
            "model": self.model,
            "height": int(self.class_map.shape[0]),
            "width": int(self.class_map.shape[1]),
            "classes": [
                {"class_id": i, "name": n, "area": a, "fraction": round(a / total, 6)}
                for i, (n, a) in enumerate(self.areas.items())
            ],
        }
