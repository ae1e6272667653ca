"""Text detection with a DB (Differentiable Binarization) network: image -> text quadrilaterals.

The network predicts a per-pixel text probability map; :func:`db_boxes` turns it into boxes:
threshold -> connected regions -> minimum-area rectangle -> score (mean probability inside) ->
unclip (offset the polygon outwards by ``area * ratio / perimeter``, since DB shrinks text regions
in training) -> minimum-area rectangle again -> scale back to image pixels.

>>> import cv2
>>> det = TextDetector()
>>> quads, scores = det(cv2.imread("page.png"))  # a page of three lines
>>> quads.shape, bool((scores > 0.5).all())
((3, 4, 2), True)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from foveal.ops import to_tensor
from foveal.runtime import open_model
from foveal.tasks.ocr.geometry import min_area_quad, order_clockwise

DEFAULT_DET = "ppocr_det.v6_small"


@dataclass(frozen=True)
class DBParams:
    """Post-processing thresholds of the DB detector.

    Attributes:
        thresh: probability above which a pixel is text.
        box_thresh: minimum mean probability inside a box to keep it.
        unclip_ratio: how far to expand the shrunk text kernels (DB's ``D = A * r / L``).
        max_candidates: at most this many regions per image.
        min_size: smallest short side (pixels of the probability map) of a kept box.
        dilate: dilate the binary map by a 2x2 kernel first (joins broken strokes).
    """

    thresh: float = 0.3
    box_thresh: float = 0.5
    unclip_ratio: float = 1.6
    max_candidates: int = 1000
    min_size: float = 3.0
    dilate: bool = True


def det_input_size(
    h: int, w: int, *, max_side: int = 2000, min_side: int = 32, multiple: int = 32
) -> tuple[int, int]:
    """Network input size ``(H, W)``: no upscaling unless the short side is under ``min_side``,
    downscaling when the long side is over ``max_side``, both rounded to ``multiple``.

    >>> det_input_size(480, 640)
    (480, 640)
    >>> det_input_size(4000, 3000)
    (1984, 1504)
    >>> det_input_size(5, 3000)       # extreme strips: the long side still obeys max_side
    (32, 1984)
    """
    scale = 1.0
    if max(h, w) > max_side:
        scale = max_side / max(h, w)
    if min(h, w) * scale < min_side:  # enlarge small images, but never past max_side
        scale = min(min_side / min(h, w), max_side / max(h, w))
    nh = max(multiple, int(round(h * scale / multiple)) * multiple)
    nw = max(multiple, int(round(w * scale / multiple)) * multiple)
    return nh, nw


def det_preprocess(bgr: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """BGR uint8 (H, W, 3) -> float32 (1, 3, h, w) scaled to [-1, 1]."""
    import cv2

    h, w = size
    if bgr.shape[:2] != (h, w):
        interp = cv2.INTER_AREA if h * w < bgr.shape[0] * bgr.shape[1] else cv2.INTER_LINEAR
        bgr = cv2.resize(bgr, (w, h), interpolation=interp)
    return to_tensor(bgr, gain=2.0 / 255.0, offset=-1.0)[None]


def unclip(quad: np.ndarray, ratio: float) -> np.ndarray:
    """Offset a polygon outwards by ``area * ratio / perimeter`` (rounded joins): its points."""
    import pyclipper

    pts = np.asarray(quad, np.float64).reshape(-1, 2)
    x, y = pts[:, 0], pts[:, 1]
    area = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
    perimeter = float(np.linalg.norm(pts - np.roll(pts, -1, axis=0), axis=1).sum())
    if perimeter <= 0:
        return pts.astype(np.float32)
    offset = pyclipper.PyclipperOffset()
    offset.AddPath([tuple(p) for p in pts.tolist()], pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    out = offset.Execute(area * ratio / perimeter)
    if not out:
        return pts.astype(np.float32)
    return np.asarray(max(out, key=len), np.float32)


def _box_score(prob: np.ndarray, quad: np.ndarray) -> float:
    import cv2

    h, w = prob.shape
    x0 = int(np.clip(math.floor(quad[:, 0].min()), 0, w - 1))
    x1 = int(np.clip(math.ceil(quad[:, 0].max()), 0, w - 1))
    y0 = int(np.clip(math.floor(quad[:, 1].min()), 0, h - 1))
    y1 = int(np.clip(math.ceil(quad[:, 1].max()), 0, h - 1))
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
    cv2.fillPoly(mask, [(quad - [x0, y0]).round().astype(np.int32)], 1)
    return float(cv2.mean(prob[y0 : y1 + 1, x0 : x1 + 1], mask)[0])


def db_boxes(prob: np.ndarray, params: DBParams = DBParams()) -> tuple[np.ndarray, np.ndarray]:
    """Text quadrilaterals from a DB probability map (H, W): ``(quads (N, 4, 2), scores (N,))``,
    in probability-map pixels, each ordered clockwise from top-left.
    """
    import cv2

    bitmap = (prob > params.thresh).astype(np.uint8)
    if params.dilate:
        bitmap = cv2.dilate(bitmap, np.ones((2, 2), np.uint8))
    contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    quads: list[np.ndarray] = []
    scores: list[float] = []
    h, w = prob.shape
    for contour in contours[: params.max_candidates]:
        if len(contour) < 3:
            continue
        quad, short = min_area_quad(contour)
        if short < params.min_size:
            continue
        score = _box_score(prob, quad)
        if score < params.box_thresh:
            continue
        quad, short = min_area_quad(unclip(quad, params.unclip_ratio))
        if short < params.min_size + 2:
            continue
        quad[:, 0] = np.clip(quad[:, 0], 0, w)
        quad[:, 1] = np.clip(quad[:, 1], 0, h)
        quads.append(quad)
        scores.append(score)
    if not quads:
        return np.zeros((0, 4, 2), np.float32), np.zeros(0, np.float32)
    return np.stack(quads).astype(np.float32), np.asarray(scores, np.float32)


class TextDetector:
    """Find text regions in an image with a DB detector (ONNX).

    Args:
        model: zoo name or ``.onnx`` path of a DB detector with 1 input (N, 3, H, W) and a
            probability map output (N, 1, H, W).
        max_side: the longest side the image is shrunk to (huge pages are detected on a smaller
            copy, and crops are still taken from the full-resolution page).
        min_side: smaller images are enlarged to this short side.
        params: DB post-processing thresholds.
        probe_side: pages larger than this are first detected on a copy this long (cheap) to
            measure their text height; ``None``: always at ``max_side``.
        text_height: the detector's input is then scaled so that the smaller text lines (25th
            percentile of region heights) are about this many pixels tall (measured on a 300-dpi
            page and receipts 100-105: 18 px still reads every line, 14 px loses lines; 32 px
            keeps receipts as good as full size). The probe's own result is used when it already
            has that resolution; full size when the saving would be under a quarter.
    """

    def __init__(
        self,
        model: str | os.PathLike = DEFAULT_DET,
        *,
        max_side: int = 2000,
        min_side: int = 32,
        params: DBParams = DBParams(),
        probe_side: int | None = 640,
        text_height: float = 32.0,
        threads: int | None = None,
    ) -> None:
        self.model = open_model(model, tasks={"ocr_det"}, threads=threads)
        self.name = self.model.meta.name
        self.max_side = max_side
        self.min_side = min_side
        self.params = params
        self.probe_side = probe_side
        self.text_height = text_height

    def _run(
        self, bgr: np.ndarray, size: tuple[int, int]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        (out,) = self.model.runner.run(det_preprocess(bgr, size))
        prob = out[0, 0]
        quads, scores = db_boxes(prob, self.params)
        return quads, scores, prob

    def __call__(self, bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(quads (N, 4, 2), scores (N,))`` in pixels of ``bgr``, quads clockwise from top-left.

        Pages larger than ``probe_side`` are first detected on a small copy; the height of their
        text there decides the resolution of the real pass (large scans are detected at the text
        height the detector needs, not at full size), or the probe's result is kept when it is
        already fine enough.
        """
        h, w = bgr.shape[:2]
        size = det_input_size(h, w, max_side=self.max_side, min_side=self.min_side)
        quads = None
        if self.probe_side and max(size) > self.probe_side:
            probe = det_input_size(h, w, max_side=self.probe_side, min_side=self.min_side)
            pq, ps, pprob = self._run(bgr, probe)
            if len(pq):
                heights = np.minimum(
                    np.linalg.norm(pq[:, 0] - pq[:, 3], axis=1),
                    np.linalg.norm(pq[:, 0] - pq[:, 1], axis=1),
                )
                small = float(np.percentile(heights, 25))
                side = int(round(max(probe) * self.text_height / max(small, 1.0)))
                if side <= max(probe) * 1.1:
                    quads, scores, prob = pq, ps, pprob
                elif side < 0.75 * max(size):
                    size = det_input_size(h, w, max_side=side, min_side=self.min_side)
        if quads is None:
            quads, scores, prob = self._run(bgr, size)
        if len(quads):
            quads[..., 0] *= w / prob.shape[1]
            quads[..., 1] *= h / prob.shape[0]
            quads[..., 0] = np.clip(quads[..., 0], 0, w)
            quads[..., 1] = np.clip(quads[..., 1], 0, h)
            quads = np.stack([order_clockwise(q) for q in quads])
        return quads, scores
