"""Multi-object tracking metrics: HOTA (with DetA, AssA, LocA), following TrackEval's definition,
in numpy; MOTA, MOTP, IDF1 and ID switches with ``motmetrics``.

Both sides are MOTChallenge arrays (:func:`foveal.tracking.read_mot`): rows ``frame, id, x, y, w, h,
score``.

>>> import numpy as np
>>> gt = np.array([[f, 1, 10 * f, 0, 10, 10, 1] for f in range(1, 5)], float)
>>> pred = gt.copy(); pred[2:, 1] = 2          # the tracker changes ID halfway
>>> round(hota(gt, pred)["HOTA"], 4)            # DetA 1, AssA 0.5
0.7071
"""

from __future__ import annotations

from typing import Any

import numpy as np

from foveal.ops.boxes import box_iou

ALPHAS = np.arange(0.05, 0.99, 0.05)
"""The 19 localisation thresholds HOTA averages over (TrackEval's)."""


def _xyxy(rows: np.ndarray) -> np.ndarray:
    return np.concatenate([rows[:, 2:4], rows[:, 2:4] + rows[:, 4:6]], axis=1)


def _frames(gt: np.ndarray, pred: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per frame: gt id indices, pred id indices (compacted from 0), and their IoU matrix."""
    _, gt_idx = np.unique(gt[:, 1], return_inverse=True)
    _, pr_idx = np.unique(pred[:, 1], return_inverse=True)
    frames = np.union1d(gt[:, 0], pred[:, 0])
    out = []
    for f in frames:
        g = gt[:, 0] == f
        p = pred[:, 0] == f
        out.append((gt_idx[g], pr_idx[p], box_iou(_xyxy(gt[g]), _xyxy(pred[p]))))
    return out


def hota(gt: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """HOTA, DetA, AssA and LocA (each averaged over :data:`ALPHAS`), as TrackEval computes them.

    Args:
        gt: ``(N, >=6)`` ground-truth rows ``frame, id, x, y, w, h``.
        pred: ``(M, >=6)`` tracker rows, same layout.
    """
    from scipy.optimize import linear_sum_assignment

    gt = np.asarray(gt, np.float64)
    pred = np.asarray(pred, np.float64)
    n_gt_ids = len(np.unique(gt[:, 1])) if len(gt) else 0
    n_pr_ids = len(np.unique(pred[:, 1])) if len(pred) else 0
    if not len(gt) or not len(pred):
        zero = {"HOTA": 0.0, "DetA": 0.0, "AssA": 0.0, "LocA": 1.0 if not len(gt) else 0.0}
        return {**zero, "HOTA_TP": 0.0, "HOTA_FN": float(len(gt)), "HOTA_FP": float(len(pred))}
    frames = _frames(gt, pred)
    # global alignment: how often each gt id and each tracker id overlap, over the whole video
    potential = np.zeros((n_gt_ids, n_pr_ids))
    gt_count = np.zeros((n_gt_ids, 1))
    pr_count = np.zeros((1, n_pr_ids))
    for g, p, sim in frames:
        denom = sim.sum(0)[None, :] + sim.sum(1)[:, None] - sim
        sim_iou = np.where(denom > np.finfo(float).eps, sim / np.maximum(denom, 1e-300), 0.0)
        potential[g[:, None], p[None, :]] += sim_iou
        gt_count[g] += 1
        pr_count[0, p] += 1
    alignment = potential / (gt_count + pr_count - potential)
    tp = np.zeros(len(ALPHAS))
    fn = np.zeros(len(ALPHAS))
    fp = np.zeros(len(ALPHAS))
    loc = np.zeros(len(ALPHAS))
    matches = np.zeros((len(ALPHAS), n_gt_ids, n_pr_ids))
    for g, p, sim in frames:
        if not len(g) or not len(p):
            fn += len(g)
            fp += len(p)
            continue
        score = alignment[g[:, None], p[None, :]] * sim
        rows, cols = linear_sum_assignment(-score)
        for a, alpha in enumerate(ALPHAS):
            ok = sim[rows, cols] >= alpha - np.finfo(float).eps
            r, c = rows[ok], cols[ok]
            tp[a] += len(r)
            fn[a] += len(g) - len(r)
            fp[a] += len(p) - len(r)
            loc[a] += sim[r, c].sum()
            matches[a, g[r], p[c]] += 1
    ass_a = np.zeros(len(ALPHAS))
    for a in range(len(ALPHAS)):
        m = matches[a]
        ass = m / np.maximum(gt_count + pr_count - m, 1)
        ass_a[a] = (m * ass).sum() / max(tp[a], 1)
    det_a = tp / np.maximum(tp + fn + fp, 1)
    loc_a = np.maximum(1e-10, loc) / np.maximum(1e-10, tp)
    return {
        "HOTA": float(np.sqrt(det_a * ass_a).mean()),
        "DetA": float(det_a.mean()),
        "AssA": float(ass_a.mean()),
        "LocA": float(loc_a.mean()),
        "HOTA_TP": float(tp.mean()),
        "HOTA_FN": float(fn.mean()),
        "HOTA_FP": float(fp.mean()),
    }


def clear_mot(gt: np.ndarray, pred: np.ndarray, *, iou: float = 0.5) -> dict[str, float]:
    """MOTA, MOTP (mean IoU of matches), IDF1, ID switches, precision and recall (motmetrics),
    a pair matching when its IoU is at least ``iou``."""
    import motmetrics as mm

    gt = np.asarray(gt, np.float64)
    pred = np.asarray(pred, np.float64)
    acc = mm.MOTAccumulator(auto_id=True)
    for f in np.union1d(gt[:, 0], pred[:, 0]):
        g = gt[gt[:, 0] == f]
        p = pred[pred[:, 0] == f]
        overlap = box_iou(_xyxy(g), _xyxy(p))
        dist = np.where(overlap >= iou, 1.0 - overlap, np.nan)
        acc.update(g[:, 1].astype(int).tolist(), p[:, 1].astype(int).tolist(), dist)
    names = ["mota", "motp", "idf1", "num_switches", "precision", "recall", "num_frames"]
    row = mm.metrics.create().compute(acc, metrics=names, name="seq").iloc[0]
    return {
        "MOTA": float(row["mota"]),
        "MOTP": float(1.0 - row["motp"]) if np.isfinite(row["motp"]) else 0.0,
        "IDF1": float(row["idf1"]),
        "IDSW": float(row["num_switches"]),
        "precision": float(row["precision"]),
        "recall": float(row["recall"]),
        "frames": float(row["num_frames"]),
    }


def evaluate_tracking(gt: np.ndarray, pred: np.ndarray, *, iou: float = 0.5) -> dict[str, Any]:
    """Every metric: HOTA, DetA, AssA, LocA, MOTA, MOTP, IDF1, IDSW, precision, recall."""
    return {**hota(gt, pred), **clear_mot(gt, pred, iou=iou)}
