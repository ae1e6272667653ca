"""The geometry of MediaPipe's landmark pipelines, in pixels: SSD anchors, detection decoding,
weighted NMS, rotated regions (ROIs) and their crops, and landmarks projected back.

Each function follows the MediaPipe calculator of the same role (``SsdAnchorsCalculator``,
``TensorsToDetectionsCalculator``, ``NonMaxSuppressionCalculator`` with ``WEIGHTED``,
``DetectionsToRectsCalculator``, ``AlignmentPointsRectsCalculator``,
``RectTransformationCalculator``, ``ImageToTensorCalculator``, ``LandmarkProjectionCalculator``),
so that the same ``.tflite`` files give the same points.

>>> import numpy as np
>>> ssd_anchors(128, (8, 16, 16, 16)).shape          # face detection short range
(896, 2)
>>> roi = Roi(50.0, 40.0, 20.0, 20.0, 0.0)
>>> project(np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]]), roi, 100)[:, :2].tolist()
[[50.0, 40.0], [60.0, 30.0]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from foveal.ops import box_iou


@dataclass(frozen=True)
class Roi:
    """A rotated rectangle in image pixels: centre, size and rotation (radians, MediaPipe's
    sign: positive turns the crop clockwise on screen)."""

    cx: float
    cy: float
    w: float
    h: float
    rotation: float = 0.0

    def transformed(self, scale: float, shift_y: float = 0.0, square_long: bool = True) -> Roi:
        """MediaPipe's ``RectTransformationCalculator``: shift (along the rotated axes),
        square on the long side, then scale."""
        cx, cy, w, h, r = self.cx, self.cy, self.w, self.h, self.rotation
        if shift_y:
            cx += -h * shift_y * math.sin(r)
            cy += h * shift_y * math.cos(r)
        if square_long:
            w = h = max(w, h)
        return Roi(cx, cy, w * scale, h * scale, r)

    def unrotated(self) -> tuple[float, float, float, float]:
        """``xyxy`` of the rectangle without its rotation (what MediaPipe compares)."""
        return (
            self.cx - self.w / 2,
            self.cy - self.h / 2,
            self.cx + self.w / 2,
            self.cy + self.h / 2,
        )

    def box(self) -> np.ndarray:
        """The axis-aligned ``xyxy`` box around the rotated rectangle."""
        pts = cv2.boxPoints(((self.cx, self.cy), (self.w, self.h), math.degrees(self.rotation)))
        return np.array([*pts.min(0), *pts.max(0)], np.float32)


def associate(rois: list[Roi], iou: float = 0.5) -> list[Roi]:
    """MediaPipe's ``AssociationNormRectCalculator``: each ROI in turn replaces the ones before
    it whose unrotated rectangles overlap it by more than ``iou`` (so one hand found twice,
    or tracked and found again, is kept once: the later one)."""
    kept: list[Roi] = []
    for roi in rois:
        if kept:
            boxes = np.array([r.unrotated() for r in kept], np.float32)
            overlap = box_iou(np.array([roi.unrotated()], np.float32), boxes)[0] > iou
            kept = [r for r, o in zip(kept, overlap, strict=True) if not o]
        kept.append(roi)
    return kept


def normalize_radians(angle: float) -> float:
    """``angle`` in [-pi, pi)."""
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def rotation(p0: np.ndarray, p1: np.ndarray, target_degrees: float) -> float:
    """The rotation that turns the vector ``p0 -> p1`` (pixels) to ``target_degrees``."""
    angle = math.radians(target_degrees) - math.atan2(-(p1[1] - p0[1]), p1[0] - p0[0])
    return normalize_radians(angle)


def ssd_anchors(size: int, strides: tuple[int, ...]) -> np.ndarray:
    """Anchor centres ``(N, 2)`` in [0, 1] for MediaPipe's square SSD detectors (aspect ratio 1,
    fixed anchor size: two anchors per cell and layer; layers of one stride share cells)."""
    out = []
    i = 0
    while i < len(strides):
        n = 0
        while i + n < len(strides) and strides[i + n] == strides[i]:
            n += 1
        cells = math.ceil(size / strides[i])
        ys, xs = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
        centres = np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], -1).reshape(-1, 1, 2)
        out.append(np.repeat(centres, 2 * n, axis=1).reshape(-1, 2))
        i += n
    return np.concatenate(out).astype(np.float32)


@dataclass(frozen=True)
class Candidates:
    """Decoded detections in image pixels: boxes ``(N, 4)`` xyxy, keypoints ``(N, K, 2)``,
    scores ``(N,)``."""

    boxes: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)


def decode_detections(
    boxes: np.ndarray,
    logits: np.ndarray,
    anchors: np.ndarray,
    size: int,
    square: PaddedSquare,
    min_score: float,
) -> Candidates:
    """Decode one image's raw SSD outputs (``(N, 4 + 2K)`` offsets in input pixels and ``(N,)``
    logits) into image pixels, keeping scores of at least ``min_score``."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits.reshape(-1).astype(np.float64), -100.0, 100.0)))
    keep = scores >= min_score
    raw, anc = boxes[keep].astype(np.float32) / size, anchors[keep]
    cx, cy = raw[:, 0] + anc[:, 0], raw[:, 1] + anc[:, 1]
    half = raw[:, 2:4] / 2
    xyxy = np.stack([cx - half[:, 0], cy - half[:, 1], cx + half[:, 0], cy + half[:, 1]], -1)
    k = (boxes.shape[1] - 4) // 2
    kps = raw[:, 4:].reshape(len(raw), k, 2) + anc[:, None, :]
    return Candidates(
        square.to_image(xyxy.reshape(-1, 2)).reshape(-1, 4),
        square.to_image(kps.reshape(-1, 2)).reshape(len(raw), k, 2),
        scores[keep],
    )


def weighted_nms(c: Candidates, iou: float, max_det: int | None = None) -> Candidates:
    """MediaPipe's weighted non-maximum suppression: each kept detection is the score-weighted
    mean of the detections overlapping it by more than ``iou`` (boxes and keypoints), with the
    best one's score; best first."""
    order = np.argsort(-c.scores, kind="stable")
    boxes, kps, scores = [], [], []
    while len(order):
        overlap = box_iou(c.boxes[order[:1]], c.boxes[order])[0] > iou
        overlap[0] = True
        group = order[overlap]
        w = c.scores[group][:, None]
        boxes.append((c.boxes[group] * w).sum(0) / w.sum())
        kps.append((c.keypoints[group] * w[:, :, None]).sum(0) / w.sum())
        scores.append(c.scores[order[0]])
        order = order[~overlap]
        if max_det is not None and len(scores) >= max_det:
            break
    k = c.keypoints.shape[1]
    return Candidates(
        np.array(boxes, np.float32).reshape(-1, 4),
        np.array(kps, np.float32).reshape(-1, k, 2),
        np.array(scores, np.float32),
    )


def box_roi(box: np.ndarray, p0: np.ndarray, p1: np.ndarray, target_degrees: float) -> Roi:
    """``DetectionsToRectsCalculator``: the box, rotated so that ``p0 -> p1`` points at
    ``target_degrees``."""
    x1, y1, x2, y2 = (float(v) for v in box)
    return Roi((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, rotation(p0, p1, target_degrees))


def alignment_roi(centre: np.ndarray, scale_point: np.ndarray, target_degrees: float) -> Roi:
    """``AlignmentPointsRectsCalculator``: a square centred on ``centre`` whose half side is the
    distance to ``scale_point``."""
    side = 2.0 * float(np.hypot(*(scale_point[:2] - centre[:2])))
    return Roi(
        float(centre[0]),
        float(centre[1]),
        side,
        side,
        rotation(centre, scale_point, target_degrees),
    )


def points_roi(points: np.ndarray, rot: float) -> Roi:
    """The smallest rectangle rotated by ``rot`` around ``points`` (``(N, 2)`` pixels), as
    MediaPipe's ``HandLandmarksToRectCalculator`` computes it."""
    c, s = math.cos(rot), math.sin(rot)
    # into the rectangle's frame (rotate by -rot), bound, back
    local = points[:, :2] @ np.array([[c, -s], [s, c]], np.float64)
    lo, hi = local.min(0), local.max(0)
    mid = (lo + hi) / 2
    centre = mid @ np.array([[c, s], [-s, c]], np.float64)
    return Roi(float(centre[0]), float(centre[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1]), rot)


def crop(
    image: np.ndarray,
    roi: Roi,
    size: int,
    value_range: tuple[float, float],
    *,
    replicate: bool = True,
) -> np.ndarray:
    """The network input ``(1, size, size, 3)`` float32 for ``roi`` of an RGB ``uint8`` image
    (``ImageToTensorCalculator``: perspective warp of the rotated rectangle, bilinear, values
    scaled to ``value_range``). Outside the image: the edge pixels repeated (MediaPipe's
    default, used for landmark crops), or zeros (``replicate=False``, the detectors)."""
    src = cv2.boxPoints(((roi.cx, roi.cy), (roi.w, roi.h), math.degrees(roi.rotation)))
    dst = np.array([[0, size], [0, 0], [size, 0], [size, size]], np.float32)
    m = cv2.getPerspectiveTransform(src.astype(np.float32), dst)
    out = cv2.warpPerspective(
        image,
        m,
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE if replicate else cv2.BORDER_CONSTANT,
    )
    low, high = value_range
    return (out.astype(np.float32) * ((high - low) / 255.0) + low)[None]


@dataclass(frozen=True)
class PaddedSquare:
    """The whole image padded (centred) to a square, as the detectors see it."""

    width: int
    height: int

    @property
    def side(self) -> int:
        return max(self.width, self.height)

    def roi(self) -> Roi:
        return Roi(self.width / 2, self.height / 2, self.side, self.side, 0.0)

    def to_image(self, pts: np.ndarray) -> np.ndarray:
        """Points in [0, 1] of the padded square -> image pixels."""
        pad = np.array([(self.side - self.width) / 2, (self.side - self.height) / 2], np.float32)
        return pts * self.side - pad


def project(points: np.ndarray, roi: Roi, image_width: int) -> np.ndarray:
    """``LandmarkProjectionCalculator``: points ``(N, 3)`` in [0, 1] of the ROI crop -> image
    pixels ``(x, y)`` and MediaPipe's ``z`` (scaled like x, relative to the image width)."""
    c, s = math.cos(roi.rotation), math.sin(roi.rotation)
    x = (points[:, 0] - 0.5) * roi.w
    y = (points[:, 1] - 0.5) * roi.h
    out = np.empty((len(points), 3), np.float32)
    out[:, 0] = c * x - s * y + roi.cx
    out[:, 1] = s * x + c * y + roi.cy
    out[:, 2] = points[:, 2] * roi.w / image_width
    return out


def refine_from_heatmap(
    points: np.ndarray, heatmap: np.ndarray, kernel: int = 9, min_confidence: float = 0.5
) -> np.ndarray:
    """``RefineLandmarksFromHeatmapCalculator``: move each point ``(x, y)`` in [0, 1] to the
    sigmoid-weighted mean of its ``kernel`` x ``kernel`` heatmap window when the window's peak
    is at least ``min_confidence``. ``heatmap`` is ``(H, W, N)`` logits."""
    hm_h, hm_w = heatmap.shape[:2]
    out = points.copy()
    off = (kernel - 1) // 2
    conf = 1.0 / (1.0 + np.exp(-heatmap))
    for i, (x, y) in enumerate(points[:, :2]):
        col, row = int(x * hm_w), int(y * hm_h)  # truncation toward zero, as in C++
        if col < 0 or col >= hm_w or row < 0 or row >= hm_h:
            continue
        r0, r1 = max(0, row - off), min(hm_h, row + off + 1)
        c0, c1 = max(0, col - off), min(hm_w, col + off + 1)
        win = conf[r0:r1, c0:c1, i]
        total = float(win.sum())
        if win.max() >= min_confidence and total > 0:
            rows, cols = np.mgrid[r0:r1, c0:c1]
            out[i, 0] = float((cols * win).sum()) / hm_w / total
            out[i, 1] = float((rows * win).sum()) / hm_h / total
    return out
