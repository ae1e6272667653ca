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
        block_ids: (N,) int64 layout block of each line (index into the blocks, -1: none), when
            the page's layout blocks were found.
        block_polygons: (M, 4, 2) float32 corners of the page's layout blocks, in reading order
            (``None`` when blocks were not asked for).
        block_types: M block types (``text``, ``title``, ``figure``, ``table``, ``header`` ...).
        source: the file the image came from (a video or PDF for frames and pages), if any.
        index: the video frame (from 0) or PDF page (from 1) inside ``source``, if any.
    """

    polygons: np.ndarray = _item()
    texts: list[str] = _item()
    scores: np.ndarray = _item()
    paragraph_ids: np.ndarray | None = _item(default=None)
    block_ids: np.ndarray | None = _item(default=None)
    model: str = ""
    source: str | None = None
    index: int | None = None
    block_polygons: np.ndarray | None = None
    block_types: list[str] | None = None

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
        if self.block_polygons is not None or self.block_types is not None:
            self.block_polygons = _as(
                np.zeros((0, 4, 2)) if self.block_polygons is None else self.block_polygons,
                np.float32,
                (4, 2),
                "block_polygons",
            )
            self.block_types = [str(t) for t in self.block_types or []]
            if len(self.block_types) != len(self.block_polygons):
                raise ResultError(
                    f"block_types ({len(self.block_types)}) and block_polygons "
                    f"({len(self.block_polygons)}) must have the same length"
                )
        if self.block_ids is not None:
            self.block_ids = _as(self.block_ids, np.int64, (), "block_ids")
            m = len(self.block_types or [])
            if len(self.block_ids) != n or ((self.block_ids < -1) | (self.block_ids >= m)).any():
                raise ResultError(
                    f"block_ids must hold one block index in [-1, {m}) per line ({n} lines)"
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
        out = {
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
        if self.block_ids is not None:
            for line, b in zip(out["lines"], self.block_ids, strict=True):
                line["block"] = int(b)
        if self.block_types is not None:
            out["blocks"] = [
                {"type": t, "polygon": _round(poly, 2), "order": k}
                for k, (t, poly) in enumerate(
                    zip(self.block_types, self.block_polygons, strict=True)  # type: ignore[arg-type]
                )
            ]
        return out


def _is_points(arr: Any) -> bool:
    """Already a ``(K, 2)`` float32 array (no conversion needed)."""
    return isinstance(arr, np.ndarray) and arr.dtype == np.float32 and arr.shape[1:] == (2,)


@dataclass
class Tracks(_Filterable):
    """Tracked objects in one video frame: detections with an identity that lasts across frames.

    Attributes:
        xyxy: (N, 4) float32 boxes ``[x1, y1, x2, y2]`` in frame pixels.
        scores: (N,) float32 detection confidences.
        class_ids: (N,) int64 class indices.
        names: N class names.
        track_ids: (N,) int64 track IDs (from 1), unique within the frame, stable across frames.
        trails: optional N arrays ``(K, 2)`` of recent box centres, oldest first (for drawing).
        source: the video the frame came from, if any.
        index: the frame number (from 0) inside ``source``, if any.

    >>> t = Tracks(np.array([[0, 0, 10, 10]]), [0.9], [0], ["person"], track_ids=[7])
    >>> t.to_dict()["tracks"]
    [{'id': 7, 'box': [0.0, 0.0, 10.0, 10.0], 'score': 0.9, 'class_id': 0, 'name': 'person'}]
    """

    xyxy: np.ndarray = _item()
    scores: np.ndarray = _item()
    class_ids: np.ndarray = _item()
    names: list[str] = _item()
    track_ids: np.ndarray = _item(default_factory=lambda: np.zeros(0, np.int64))
    trails: list[np.ndarray] | None = _item(default=None)
    model: str = ""
    source: str | None = None
    index: int | None = None

    def __post_init__(self) -> None:
        self._check_where()
        self.xyxy = _as(self.xyxy, np.float32, (4,), "xyxy")
        self.scores = _as(self.scores, np.float32, (), "scores")
        self.class_ids = _as(self.class_ids, np.int64, (), "class_ids")
        self.track_ids = _as(self.track_ids, np.int64, (), "track_ids")
        self.names = [str(n) for n in self.names]
        n = len(self.xyxy)
        sizes = (len(self.scores), len(self.class_ids), len(self.names), len(self.track_ids))
        if sizes != (n, n, n, n):
            raise ResultError(
                f"xyxy ({n}), scores ({sizes[0]}), class_ids ({sizes[1]}), names ({sizes[2]}) "
                f"and track_ids ({sizes[3]}) must have the same length"
            )
        if n and ((self.xyxy[:, 2] < self.xyxy[:, 0]) | (self.xyxy[:, 3] < self.xyxy[:, 1])).any():
            raise ResultError("every box needs x2 >= x1 and y2 >= y1 (format xyxy)")
        if len(np.unique(self.track_ids)) != n:
            raise ResultError(f"track_ids {self.track_ids.tolist()} repeat an ID within one frame")
        if self.trails is not None:
            self.trails = [
                t if _is_points(t) else _as(t, np.float32, (2,), "trail") for t in self.trails
            ]
            if len(self.trails) != n:
                raise ResultError(f"trails has {len(self.trails)} entries; expected {n}")

    def __len__(self) -> int:
        return len(self.xyxy)

    @classmethod
    def empty(cls, model: str = "") -> Tracks:
        return cls(np.zeros((0, 4)), np.zeros(0), np.zeros(0), [], model=model)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._where(),
            "model": self.model,
            "tracks": [
                {
                    "id": int(i),
                    "box": _round(b, 2),
                    "score": round(float(s), 6),
                    "class_id": int(c),
                    "name": n,
                }
                for i, b, s, c, n in zip(
                    self.track_ids, self.xyxy, self.scores, self.class_ids, self.names, strict=True
                )
            ],
        }


LANDMARK_PARTS = {"hand": 21, "pose": 33, "face": 468}
"""Each landmark part's number of points (MediaPipe's hand, pose and face-mesh topologies)."""


@dataclass
class Landmarks(_Filterable):
    """Hand, body-pose and face-mesh landmarks found in one image (MediaPipe's topologies).

    One item per region found, in the order hands, poses, faces; a boolean mask over the items
    filters every per-item field (``lm[lm.scores > 0.9]``).

    Attributes:
        parts: N part names: ``"hand"`` (21 points), ``"pose"`` (33) or ``"face"`` (468).
        points: N arrays ``(K, 3)`` float32: x, y in original-image pixels, and MediaPipe's
            relative depth z (scaled like x, relative to the image width; smaller is nearer).
        scores: (N,) float32 presence score of the landmark network (0..1).
        handedness: N labels, ``"Left"`` / ``"Right"`` for hands (MediaPipe's label, which
            assumes a mirrored, selfie-view image), ``""`` for other parts.
        visibility: optional N entries: for poses, ``(33,)`` float32 per-point visibility
            (0..1, MediaPipe's: low for points hidden or outside the image); ``None`` for
            other parts.
        width, height: the image size in pixels (to normalise points).
        source: the file the image came from (a video for frames), if any.
        index: the video frame (from 0) inside ``source``, if any.

    >>> import numpy as np
    >>> lm = Landmarks(["hand"], [np.zeros((21, 3))], [0.99], ["Right"], width=64, height=48)
    >>> lm.hands.shape, lm.faces.shape, lm.to_dict()["hands"][0]["handedness"]
    ((1, 21, 3), (0, 468, 3), 'Right')
    """

    parts: list[str] = _item()
    points: list[np.ndarray] = _item()
    scores: np.ndarray = _item()
    handedness: list[str] = _item()
    visibility: list[np.ndarray | None] | None = _item(default=None)
    width: int = 0
    height: int = 0
    source: str | None = None
    index: int | None = None

    def __post_init__(self) -> None:
        self._check_where()
        self.parts = [str(p) for p in self.parts]
        self.scores = _as(self.scores, np.float32, (), "scores")
        self.handedness = [str(h) for h in self.handedness]
        n = len(self.parts)
        if not (len(self.points) == len(self.scores) == len(self.handedness) == n):
            raise ResultError(
                f"parts ({n}), points ({len(self.points)}), scores ({len(self.scores)}) and "
                f"handedness ({len(self.handedness)}) must have the same length"
            )
        checked = []
        for part, pts in zip(self.parts, self.points, strict=True):
            if part not in LANDMARK_PARTS:
                raise ResultError(
                    f"unknown landmark part {part!r}; expected one of hand, pose, face"
                )
            checked.append(_as(pts, np.float32, (3,), f"{part} points"))
            if len(checked[-1]) != LANDMARK_PARTS[part]:
                raise ResultError(
                    f"a {part} has {len(checked[-1])} points; expected {LANDMARK_PARTS[part]}"
                )
        self.points = checked
        if self.visibility is None:
            self.visibility = [None] * n
        if len(self.visibility) != n:
            raise ResultError(f"visibility has {len(self.visibility)} entries; expected {n}")
        self.visibility = [
            None if v is None else _as(v, np.float32, (), f"{part} visibility")
            for part, v in zip(self.parts, self.visibility, strict=True)
        ]
        for part, v in zip(self.parts, self.visibility, strict=True):
            if v is not None and len(v) != LANDMARK_PARTS[part]:
                raise ResultError(
                    f"a {part}'s visibility has {len(v)} values; expected {LANDMARK_PARTS[part]}"
                )
        self.width, self.height = int(self.width), int(self.height)

    def __len__(self) -> int:
        return len(self.parts)

    def of(self, part: str) -> np.ndarray:
        """The points of every ``part`` (``"hand"``, ``"pose"`` or ``"face"``): ``(M, K, 3)``."""
        k = LANDMARK_PARTS[part]
        found = [p for name, p in zip(self.parts, self.points, strict=True) if name == part]
        return np.stack(found) if found else np.zeros((0, k, 3), np.float32)

    @property
    def hands(self) -> np.ndarray:
        """``(H, 21, 3)`` hand points (wrist, then thumb to little finger, base to tip)."""
        return self.of("hand")

    @property
    def poses(self) -> np.ndarray:
        """``(P, 33, 3)`` body-pose points (nose, eyes, ears, ..., heels, foot tips)."""
        return self.of("pose")

    @property
    def faces(self) -> np.ndarray:
        """``(F, 468, 3)`` face-mesh points."""
        return self.of("face")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {**self._where(), "width": self.width, "height": self.height}
        groups: dict[str, list[dict[str, Any]]] = {"faces": [], "poses": [], "hands": []}
        items = zip(
            self.parts, self.points, self.scores, self.handedness, self.visibility, strict=True
        )
        for part, pts, score, hand, vis in items:
            rec: dict[str, Any] = {"score": round(float(score), 4)}
            if part == "hand":
                rec["handedness"] = hand
            rec["points"] = [[round(x, 2), round(y, 2), round(z, 5)] for x, y, z in pts.tolist()]
            if vis is not None:
                rec["visibility"] = _round(vis, 3)
            groups[f"{part}s"].append(rec)
        return {**out, **groups}


@dataclass
class SequencePredictions(_Filterable):
    """One class per sequence (a CSV row or a clip), for N sequences.

    Attributes:
        class_ids: (N,) int64 predicted class per sequence.
        scores: (N,) float32 probability (softmax) of that class.
        labels: N class names.
        probs: (N, K) float32 probabilities of every class.
        sources: N names of where each sequence came from (file, or file and line).
        model: the model's name.

    >>> import numpy as np
    >>> p = SequencePredictions([1, 0], [0.9, 0.6], ["Move", "Stop"], np.eye(2)[[1, 0]],
    ...                         ["a.csv:1", "a.csv:2"])
    >>> p[p.scores > 0.8].rows()
    [{'source': 'a.csv:1', 'class_id': 1, 'label': 'Move', 'score': 0.9}]
    """

    class_ids: np.ndarray = _item()
    scores: np.ndarray = _item()
    labels: list[str] = _item()
    probs: np.ndarray = _item()
    sources: list[str] = _item()
    model: str = ""

    def __post_init__(self) -> None:
        self.class_ids = _as(self.class_ids, np.int64, (), "class_ids")
        self.scores = _as(self.scores, np.float32, (), "scores")
        self.labels = [str(n) for n in self.labels]
        probs = np.asarray(self.probs, np.float32)
        self.probs = probs.reshape(0, 0) if probs.size == 0 and probs.ndim < 2 else probs
        self.sources = [str(s) for s in self.sources]
        n = len(self.class_ids)
        if not (len(self.scores) == len(self.labels) == len(self.probs) == len(self.sources) == n):
            raise ResultError(
                f"class_ids ({n}), scores ({len(self.scores)}), labels ({len(self.labels)}), "
                f"probs ({len(self.probs)}) and sources ({len(self.sources)}) must have the "
                "same length"
            )
        if self.probs.ndim != 2:
            raise ResultError(f"probs has shape {self.probs.shape}; expected (N, K)")

    def __len__(self) -> int:
        return len(self.class_ids)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per sequence: ``source``, ``class_id``, ``label``, ``score``."""
        return [
            {"source": s, "class_id": int(c), "label": n, "score": round(float(p), 6)}
            for s, c, n, p in zip(
                self.sources, self.class_ids, self.labels, self.scores, strict=True
            )
        ]

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "predictions": self.rows()}


@dataclass
class Restoration:
    """A restored image (denoised, artifacts removed): RGB ``uint8`` ``(H, W, 3)``, or grey
    ``(H, W)`` for a grey model; same size as the input. ``to_dict()`` gives its size and the mean
    absolute change (0-255 scale); PSNR/SSIM need a clean reference: ``foveal eval restore``.

    >>> import numpy as np
    >>> r = Restoration(np.zeros((4, 6, 3), np.uint8), model="m", change=1.5)
    >>> r.to_dict()
    {'model': 'm', 'width': 6, 'height': 4, 'channels': 3, 'change': 1.5}
    """

    image: np.ndarray
    model: str = ""
    change: float = 0.0
    source: str | None = None
    index: int | None = None

    def __post_init__(self) -> None:
        img = np.asarray(self.image)
        if img.dtype != np.uint8 or not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 3)):
            raise ResultError(
                f"image is {img.dtype} {img.shape}; expected uint8 (H, W, 3) or (H, W)"
            )
        self.image = img
        _Filterable._check_where(self)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        return {
            **_Filterable._where(self),  # type: ignore[arg-type]
            "model": self.model,
            "width": int(self.image.shape[1]),
            "height": int(self.image.shape[0]),
            "channels": 1 if self.image.ndim == 2 else 3,
            "change": round(float(self.change), 3),
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    def plot(self, image: Any = None, **options: Any) -> np.ndarray:
        """The restored image as RGB ``uint8`` (``image`` is accepted for the common API)."""
        return np.stack([self.image] * 3, axis=-1) if self.image.ndim == 2 else self.image

    def save(self, path: str | os.PathLike, image: Any = None, **options: Any) -> Path:
        """Write the restored image to ``path`` (format from the suffix; PNG keeps it lossless),
        atomically; returns the path."""
        from foveal.viz import save_annotated

        return save_annotated(path, self.plot(), self, **options)


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
        palette: when the training masks were palette PNGs, their colours (R G B per index):
            :meth:`mask_image` writes the mask back as a palette PNG like them.

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
    palette: tuple[int, ...] | None = None

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

    def class_id(self, cls: int | str) -> int:
        """The id of a class given by id or by name (``"cell"``, ``"class_255"``).

        Raises:
            ResultError: a class this result does not have.
        """
        if isinstance(cls, str):
            if cls not in self.labels:
                raise ResultError(
                    f"no class named {cls!r}; this segmentation has {', '.join(self.labels)}"
                )
            return self.labels.index(cls)
        if isinstance(cls, bool) or not 0 <= int(cls) < len(self.labels):
            raise ResultError(
                f"no class id {cls!r}; this segmentation has ids 0..{len(self.labels) - 1} "
                f"({', '.join(self.labels)})"
            )
        return int(cls)

    def mask(self, cls: int | str) -> np.ndarray:
        """(H, W) bool: the pixels of one class (by id or name)."""
        return self.class_map == self.class_id(cls)

    def to_mask(self) -> np.ndarray:
        """The class map in the training masks' values (uint8, or uint16 past 255)."""
        lut = np.asarray(self.mask_values)
        dtype = np.uint8 if lut.max(initial=0) <= 255 else np.uint16
        return lut.astype(dtype)[self.class_map]

    def mask_image(self) -> Any:
        """:meth:`to_mask` as a PIL image, in the training masks' format: a palette PNG with
        their colours when they were palette PNGs, else grey (8 or 16 bits).

        >>> import numpy as np
        >>> s = Segmentation(np.eye(2, dtype=np.uint8), ["bg", "road"], mask_values=(0, 1),
        ...                  palette=(0, 0, 0, 255, 0, 0) + (0,) * 762)
        >>> im = s.mask_image(); im.mode, im.getpalette()[3:6]
        ('P', [255, 0, 0])
        """
        from PIL import Image

        image = Image.fromarray(self.to_mask())
        if self.palette is not None and image.mode == "L":
            image = image.convert("P")  # the same indices, then the training masks' colours
            image.putpalette(list(self.palette))
        return image

    def polygons(self, cls: int | str, min_area: float = 0.0) -> list[np.ndarray]:
        """Outer contours of the regions of a class (by id or name), ``(N, 2)`` float32 x, y
        pixel points each (``cv2.findContours``), regions smaller than ``min_area`` pixels left
        out.

        >>> import numpy as np
        >>> s = Segmentation(np.array([[0, 1], [1, 1]], np.uint8), ["membrane", "cell"])
        >>> len(s.polygons("cell")), len(s.polygons(0))
        (1, 1)
        """
        import cv2

        found, _ = cv2.findContours(
            self.mask(cls).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
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
