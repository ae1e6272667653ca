"""Face recognition with a gallery: enrol photos, identify (1:N), verify (1:1), cluster.

>>> from foveal.gallery import Gallery
>>> from foveal.tasks.faces import FaceRecognizer
>>> from foveal.tasks.faces.identify import enroll_images, identify_faces
>>> from foveal.io import load_image
>>> rec, g = FaceRecognizer(), Gallery("faces.db")
>>> enroll_images(g, rec, "eileen", ["astronaut.jpg"]).faces
1
>>> mirrored = np.ascontiguousarray(load_image("astronaut.jpg")[:, ::-1])
>>> identify_faces(rec, g, mirrored).names
['eileen']
>>> identify_faces(rec, g, mirrored, threshold=0.1).names    # a stricter threshold
['unknown']
>>> g.close()

Every function passes call options (``conf``, ``min_face``) on to the recogniser.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from foveal.errors import ConfigError
from foveal.gallery import Gallery, Person, cluster_embeddings
from foveal.io import BatchReport, ImageSource, Sources, describe_source
from foveal.results import Faces
from foveal.tasks.faces.embed import distance
from foveal.tasks.faces.predict import FaceRecognizer, match_threshold, name_faces


def enroll_images(
    gallery: Gallery,
    rec: FaceRecognizer,
    name: str,
    images: Sequence[ImageSource],
    *,
    choose: str | int | None = None,
    new: bool = False,
    **options: Any,
) -> Person:
    """Enrol one face per image under ``name``. Every image is checked first (exactly one face,
    or ``choose="largest"`` / an index); then all faces are written in one transaction, so a bad
    image enrols nothing."""
    if not images:
        raise ConfigError("no images to enrol")
    vecs, sources = [], []
    for img in images:
        _, vec = rec.embed_one(img, choose=choose, **options)
        vecs.append(vec)
        sources.append(describe_source(img))
    return gallery.enroll(
        name,
        np.stack(vecs),
        sources=sources,
        embedder=rec.embedder.name,
        metric=rec.embedder.metric,
        new=new,
    )


def identify_faces(
    rec: FaceRecognizer,
    gallery: Gallery,
    image: ImageSource,
    *,
    threshold: float | None = None,
    **options: Any,
) -> Faces:
    """Every face of ``image`` with ``names`` (or ``"unknown"``) and ``distances`` filled."""
    t = match_threshold(rec.embedder, threshold)
    return name_faces(rec.predict(image, **options), gallery, rec.embedder, t)


@dataclass(frozen=True)
class Verification:
    """The answer of a 1:1 comparison."""

    distance: float
    threshold: float
    same: bool
    metric: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "distance": round(self.distance, 6),
            "threshold": self.threshold,
            "same": self.same,
            "metric": self.metric,
        }


def verify_images(
    rec: FaceRecognizer,
    a: ImageSource,
    b: ImageSource,
    *,
    threshold: float | None = None,
    choose: str | int | None = None,
    **options: Any,
) -> Verification:
    """Are the faces of ``a`` and ``b`` the same person? (each image must hold one face, or use
    ``choose``)."""
    t = match_threshold(rec.embedder, threshold)
    _, va = rec.embed_one(a, choose=choose, **options)
    _, vb = rec.embed_one(b, choose=choose, **options)
    d = float(distance(va[None], vb[None], rec.embedder.metric)[0, 0])
    return Verification(d, t, d < t, rec.embedder.metric)


@dataclass
class FaceCluster:
    """One group of faces believed to be the same person."""

    label: int
    members: list[tuple[str, list[float]]]  # (source, box)

    def to_dict(self) -> dict[str, Any]:
        return {"cluster": self.label, "faces": [{"source": s, "box": b} for s, b in self.members]}


def cluster_images(
    rec: FaceRecognizer,
    sources: Sources,
    *,
    threshold: float | None = None,
    linkage: str = "average",
    report: BatchReport | None = None,
    progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
    **options: Any,
) -> list[FaceCluster]:
    """Group every face found in ``sources`` (any sources: files, folders, globs, videos, PDFs)
    by person, biggest group first. Unreadable inputs go into ``report``; ``progress`` wraps the
    stream of ``(item, faces)`` (a progress bar)."""
    t = match_threshold(rec.embedder, threshold)
    vecs: list[np.ndarray] = []
    members: list[tuple[str, list[float]]] = []
    found = rec.predict_batch(sources, report=report, **options)
    for item, faces in progress(found) if progress is not None else found:
        assert faces.embeddings is not None
        for i in range(len(faces)):
            vecs.append(faces.embeddings[i])
            members.append((item.name, [round(float(x), 1) for x in faces.xyxy[i]]))
    if not vecs:
        return []
    labels = cluster_embeddings(
        np.stack(vecs), threshold=t, metric=rec.embedder.metric, linkage=linkage
    )
    groups: dict[int, list[tuple[str, list[float]]]] = {}
    for lab, m in zip(labels.tolist(), members, strict=True):
        groups.setdefault(lab, []).append(m)
    ordered = sorted(groups.values(), key=lambda g: (-len(g), g[0][0]))
    return [FaceCluster(i, g) for i, g in enumerate(ordered)]
