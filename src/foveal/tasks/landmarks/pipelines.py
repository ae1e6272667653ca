"""MediaPipe's three landmark pipelines (hands, pose, face mesh), each a detector that finds
regions and a landmark network run on a rotated crop of each region.

A pipeline's :meth:`~Pipeline.detect` finds regions (ROIs) in a whole image;
:meth:`~Pipeline.landmarks` runs the landmark network on one ROI; :meth:`~Pipeline.next_roi`
turns the points found into the ROI for the next video frame (how MediaPipe tracks instead of
re-detecting). Every constant is MediaPipe 0.10.14's (its ``.pbtxt`` graphs).

>>> hands = HandPipeline()
>>> hands.detect(np.zeros((240, 320, 3), np.uint8), min_score=0.5, max_count=2)
[]
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from foveal import zoo
from foveal.runtime.tflite import TfliteModel
from foveal.tasks.landmarks.geometry import (
    PaddedSquare,
    Roi,
    alignment_roi,
    box_roi,
    crop,
    decode_detections,
    points_roi,
    project,
    refine_from_heatmap,
    rotation,
    ssd_anchors,
    weighted_nms,
)

NMS_IOU = 0.3
"""Weighted-NMS overlap of every MediaPipe detector here."""


@dataclass(frozen=True)
class Found:
    """One region's landmarks: points ``(K, 3)`` in image pixels (+ z), the presence score, the
    handedness label (hands), the ROI for the next frame and per-point visibility (pose)."""

    points: np.ndarray
    score: float
    handedness: str
    next_roi: Roi
    visibility: np.ndarray | None = None


class Pipeline(ABC):
    """A detector and a landmark network, loaded on first use (thread-safe)."""

    part: ClassVar[str]
    detector: ClassVar[str]
    landmarker: ClassVar[str]
    strides: ClassVar[tuple[int, ...]]

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[str, tuple[TfliteModel, int, tuple[float, float]]] = {}
        self._anchors: np.ndarray | None = None

    def model(self, name: str) -> tuple[TfliteModel, int, tuple[float, float]]:
        """The network ``name`` (a zoo name), its input side and its input value range."""
        with self._lock:
            if name not in self._models:
                spec = zoo.get(name)
                low, high = spec.extra["value_range"]
                net = TfliteModel(zoo.resolve_weights(spec))
                self._models[name] = (net, spec.preprocess.input_size[0], (low, high))
            return self._models[name]

    def detect(self, image: np.ndarray, *, min_score: float, max_count: int) -> list[Roi]:
        """ROIs of up to ``max_count`` regions found in ``image`` (RGB ``uint8``), best first."""
        net, size, value_range = self.model(self.detector)
        h, w = image.shape[:2]
        box = PaddedSquare(w, h)
        boxes, logits = net.run(crop(image, box.roi(), size, value_range, replicate=False))
        anchors = ssd_anchors(size, self.strides)
        found = decode_detections(boxes[0], logits[0], anchors, size, box, min_score)
        kept = weighted_nms(found, NMS_IOU, max_count)
        return [self.detection_roi(kept.boxes[i], kept.keypoints[i]) for i in range(len(kept))]

    @abstractmethod
    def detection_roi(self, box: np.ndarray, keypoints: np.ndarray) -> Roi:
        """The landmark network's region for one detection (box and detector keypoints)."""

    def landmarks(self, image: np.ndarray, roi: Roi, *, min_presence: float) -> Found | None:
        """The landmarks in ``roi``, or ``None`` when the network says nothing is there."""
        net, size, value_range = self.model(self.landmarker)
        outputs = net.run(crop(image, roi, size, value_range))
        return self.decode(outputs, size, roi, image.shape[1], min_presence)

    @abstractmethod
    def decode(
        self, outputs: list[np.ndarray], size: int, roi: Roi, width: int, min_presence: float
    ) -> Found | None:
        """The landmark network's ``outputs`` for ``roi`` -> points in the image, or ``None``."""


def sigmoid(x: Any) -> float:
    return float(1.0 / (1.0 + np.exp(-float(np.asarray(x).reshape(-1)[0]))))


class HandPipeline(Pipeline):
    """Palm detection (full) + 21 hand landmarks (full) with handedness."""

    part = "hand"
    detector = "palm_detection.full"
    landmarker = "hand_landmark.full"
    strides = (8, 16, 16, 16)

    def detection_roi(self, box: np.ndarray, keypoints: np.ndarray) -> Roi:
        # wrist centre -> middle finger base points up; the palm box grown to the whole hand
        return box_roi(box, keypoints[0], keypoints[2], 90.0).transformed(2.6, shift_y=-0.5)

    def decode(
        self, outputs: list[np.ndarray], size: int, roi: Roi, width: int, min_presence: float
    ) -> Found | None:
        coords, presence, handed = outputs[0], outputs[1], outputs[2]
        score = float(np.asarray(presence).reshape(-1)[0])
        if score < min_presence:
            return None
        pts = coords.reshape(21, 3) / size
        pts[:, 2] /= 0.4  # TensorsToLandmarksCalculator normalize_z: 0.4
        points = project(pts, roi, width)
        label = "Left" if float(np.asarray(handed).reshape(-1)[0]) > 0.5 else "Right"
        return Found(points, score, label, self.next_roi(points))

    @staticmethod
    def next_roi(points: np.ndarray) -> Roi:
        """``HandLandmarksToRectCalculator`` + ``RectTransformation`` (scale 2, shift -0.1)."""
        p = points[:, :2].astype(np.float64)
        target = ((p[5] + p[13]) / 2 + p[9]) / 2  # index and ring bases, then the middle base
        rot = rotation(p[0], target, 90.0)
        partial = p[[0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18]]
        return points_roi(partial, rot).transformed(2.0, shift_y=-0.1)


class PosePipeline(Pipeline):
    """Pose detection + 33 body landmarks (full), refined from the heatmap."""

    part = "pose"
    detector = "pose_detection.v1"
    landmarker = "pose_landmark.full"
    strides = (8, 16, 32, 32, 32)

    def detection_roi(self, box: np.ndarray, keypoints: np.ndarray) -> Roi:
        # hips centre; the full-body scale point; the body upright
        return alignment_roi(keypoints[0], keypoints[1], 90.0).transformed(1.25)

    def decode(
        self, outputs: list[np.ndarray], size: int, roi: Roi, width: int, min_presence: float
    ) -> Found | None:
        coords, flag, heatmap = outputs[0], outputs[1], outputs[3]
        score = float(np.asarray(flag).reshape(-1)[0])
        if score < min_presence:
            return None
        raw = coords.reshape(39, 5)
        pts = raw[:, :3] / size
        # kernel 9: what MediaPipe 0.10.14's pose graph gives (checked against its output)
        pts[:, :2] = refine_from_heatmap(pts[:, :2], heatmap[0], kernel=9)
        points = project(pts, roi, width)
        aux = points[33:35]
        nxt = alignment_roi(aux[0], aux[1], 90.0).transformed(1.25)
        visibility = 1.0 / (1.0 + np.exp(-raw[:33, 3].astype(np.float64)))
        return Found(points[:33], score, "", nxt, visibility.astype(np.float32))


class FacePipeline(Pipeline):
    """Face detection (short range) + 468 face-mesh landmarks."""

    part = "face"
    detector = "face_detection.short_range"
    landmarker = "face_landmark.mesh"
    strides = (8, 16, 16, 16)

    def detection_roi(self, box: np.ndarray, keypoints: np.ndarray) -> Roi:
        # the eyes level; the face box grown by half
        return box_roi(box, keypoints[0], keypoints[1], 0.0).transformed(1.5)

    def decode(
        self, outputs: list[np.ndarray], size: int, roi: Roi, width: int, min_presence: float
    ) -> Found | None:
        coords, flag = outputs[0], outputs[1]
        score = sigmoid(flag)
        if score < min_presence:
            return None
        points = project(coords.reshape(468, 3) / size, roi, width)
        return Found(points, score, "", self.next_roi(points))

    @staticmethod
    def next_roi(points: np.ndarray) -> Roi:
        """The mesh's box, rotated to the eye corners (33 -> 263), grown by half."""
        box = np.array([*points[:, :2].min(0), *points[:, :2].max(0)])
        return box_roi(box, points[33], points[263], 0.0).transformed(1.5)


PIPELINES: dict[str, type[Pipeline]] = {
    "hands": HandPipeline,
    "pose": PosePipeline,
    "face": FacePipeline,
}
"""``--parts`` name -> pipeline."""
