"""Detect + align + embed in one object; the gallery adds names.

>>> from foveal.tasks.faces import FaceRecognizer
>>> rec = FaceRecognizer()                                   # doctest: +SKIP
>>> faces = rec.analyze("team.jpg")                          # doctest: +SKIP
>>> faces.embeddings.shape                                   # doctest: +SKIP
(4, 128)
"""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np

from foveal.errors import ConfigError, FovealError
from foveal.io import ImageSource, describe_source, load_image
from foveal.results import Faces
from foveal.tasks.faces.detect import DEFAULT_DETECTOR, FaceDetector
from foveal.tasks.faces.embed import DEFAULT_EMBEDDER, Embedder, load_embedder


class NoFaceError(FovealError, ValueError):
    """An image that had to contain a face has none."""


class ManyFacesError(FovealError, ValueError):
    """An image that had to contain one face has several, and no choice was made."""


class FaceRecognizer:
    """A face detector and an embedder working together.

    Args:
        detector: a :class:`FaceDetector` or a zoo name (``yunet.2023mar``, ``centerface.wider``).
        embedder: an :class:`Embedder` or a zoo name / ``.onnx`` file.
        conf: detection score threshold when ``detector`` is a name.
        min_face: faces smaller than this (pixels, shorter box side) are not embedded: a
            descriptor of a 10-pixel face is noise. 0 keeps every face.
    """

    def __init__(
        self,
        detector: FaceDetector | str = DEFAULT_DETECTOR,
        embedder: Embedder | str | os.PathLike = DEFAULT_EMBEDDER,
        *,
        conf: float = 0.6,
        min_face: float = 20.0,
    ) -> None:
        self.detector = detector if isinstance(detector, FaceDetector) else FaceDetector(detector, conf=conf)
        self.embedder: Embedder = (
            embedder if isinstance(embedder, Embedder) else load_embedder(embedder)  # type: ignore[arg-type]
        )
        if min_face < 0:
            raise ConfigError(f"min_face must be >= 0, got {min_face}")
        self.min_face = float(min_face)

    def analyze(self, image: ImageSource) -> Faces:
        """Faces with ``embeddings`` filled (faces under ``min_face`` pixels are left out)."""
        img = load_image(image)
        faces = self.detector.detect(img)
        if self.min_face and len(faces):
            side = np.minimum(faces.xyxy[:, 2] - faces.xyxy[:, 0], faces.xyxy[:, 3] - faces.xyxy[:, 1])
            faces = faces[side >= self.min_face]
        emb = self.embedder.embed(img, faces)
        return replace(faces, embeddings=emb)

    def embed_one(self, image: ImageSource, *, choose: str | int | None = None) -> tuple[Faces, np.ndarray]:
        """The single face of an image (for enrolment / verification) and its embedding.

        Args:
            choose: ``None`` (exactly one face required), ``"largest"`` (the biggest box) or an
                index into the faces sorted left to right.

        Raises:
            NoFaceError: no face found.
            ManyFacesError: several faces and no ``choose``.
        """
        img = load_image(image)
        name = describe_source(image)
        faces = self.analyze(img)
        if not len(faces):
            raise NoFaceError(
                f"{name}: no face found (detector {self.detector.name}, conf {self.detector.conf}, "
                f"faces of at least {self.min_face:g} px); use a photo where the face is visible and "
                "not tiny, or lower the confidence"
            )
        order = np.argsort(faces.xyxy[:, 0], kind="stable")
        faces = faces[order]
        if choose is None:
            if len(faces) > 1:
                boxes = ", ".join(f"#{i}: {[round(float(v)) for v in b]}" for i, b in enumerate(faces.xyxy))
                raise ManyFacesError(
                    f"{name}: {len(faces)} faces found ({boxes}, left to right); expected one. "
                    "Choose with --largest (the biggest face) or --index N"
                )
            idx = 0
        elif choose == "largest":
            area = (faces.xyxy[:, 2] - faces.xyxy[:, 0]) * (faces.xyxy[:, 3] - faces.xyxy[:, 1])
            idx = int(np.argmax(area))
        else:
            idx = int(choose)
            if not 0 <= idx < len(faces):
                raise ConfigError(f"{name}: face index {idx} out of range; the image has {len(faces)} face(s) (0..{len(faces) - 1})")
        one = faces[idx]
        assert one.embeddings is not None
        return one, one.embeddings[0]
