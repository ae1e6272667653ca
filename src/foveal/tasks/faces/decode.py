"""Raw face-detector outputs -> boxes, scores and 5 landmarks in network-input pixels.

Landmarks come in the order of :class:`foveal.results.Faces` (right eye, left eye, nose tip,
right and left mouth corner, the subject's right being on the image's left).

>>> boxes, scores, lms = no_faces()
>>> boxes.shape, scores.shape, lms.shape
((0, 4), (0,), (0, 5, 2))
"""

from __future__ import annotations

import numpy as np

Decoded = tuple[np.ndarray, np.ndarray, np.ndarray]
"""``(boxes (N, 4) xyxy, scores (N,), landmarks (N, 5, 2))``."""


def no_faces() -> Decoded:
    return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros((0, 5, 2), np.float32)


def decode_yunet(outs: dict[str, np.ndarray], conf: float, input_size: tuple[int, int]) -> Decoded:
    """YuNet's per-stride outputs (``cls_8``, ``obj_8``, ``bbox_8``, ``kps_8`` ... for one image)
    of an ``input_size`` (h, w) network input; faces scoring at least ``conf``."""
    th, tw = input_size
    boxes, scores, lms = [], [], []
    for s in (8, 16, 32):
        cols = tw // s
        cls = outs[f"cls_{s}"].reshape(-1)
        obj = outs[f"obj_{s}"].reshape(-1)
        score = np.sqrt(np.clip(cls, 0, 1) * np.clip(obj, 0, 1))
        idx = np.flatnonzero(score >= conf)
        if not idx.size:
            continue
        bb = outs[f"bbox_{s}"].reshape(-1, 4)[idx]
        kp = outs[f"kps_{s}"].reshape(-1, 5, 2)[idx]
        col = (idx % cols).astype(np.float32)
        row = (idx // cols).astype(np.float32)
        cx, cy = (col + bb[:, 0]) * s, (row + bb[:, 1]) * s
        bw, bh = np.exp(bb[:, 2]) * s, np.exp(bb[:, 3]) * s
        boxes.append(np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1))
        pts = np.empty_like(kp)
        pts[..., 0] = (kp[..., 0] + col[:, None]) * s
        pts[..., 1] = (kp[..., 1] + row[:, None]) * s
        lms.append(pts)
        scores.append(score[idx])
    if not boxes:
        return no_faces()
    return (
        np.concatenate(boxes).astype(np.float32),
        np.concatenate(scores).astype(np.float32),
        np.concatenate(lms).astype(np.float32),
    )


def decode_centerface(
    heat: np.ndarray, sc: np.ndarray, off: np.ndarray, lm: np.ndarray, conf: float
) -> Decoded:
    """CenterFace's outputs for one image (heat map ``(1, h, w)``, log sizes ``(2, h, w)``,
    offsets ``(2, h, w)``, landmarks ``(10, h, w)``, stride 4); faces scoring at least ``conf``."""
    heat = heat[0]
    r, c = np.nonzero(heat >= conf)
    if not r.size:
        return no_faces()
    score = heat[r, c]
    bh = np.exp(sc[0, r, c]) * 4
    bw = np.exp(sc[1, r, c]) * 4
    y1 = (r + off[0, r, c] + 0.5) * 4 - bh / 2
    x1 = (c + off[1, r, c] + 0.5) * 4 - bw / 2
    boxes = np.stack([x1, y1, x1 + bw, y1 + bh], 1)
    pts = np.empty((r.size, 5, 2), np.float32)
    for j in range(5):
        pts[:, j, 0] = lm[2 * j + 1, r, c] * bw + x1
        pts[:, j, 1] = lm[2 * j, r, c] * bh + y1
    return boxes, score.astype(np.float32), pts  # boxes stay float64 until scaled back
