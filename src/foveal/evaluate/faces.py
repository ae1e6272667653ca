"""Face evaluation: detection AP on dlib-XML boxes, verification ROC / TAR@FAR on image pairs.

>>> from foveal.evaluate.faces import detection_ap, verification_metrics
>>> r = detection_ap([np.array([[0, 0, 10, 10]])], [np.array([0.9])], [np.array([[0, 0, 10, 10]])])
>>> r["ap"], r["recall"]
(1.0, 1.0)
"""

from __future__ import annotations

import itertools
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import ConfigError
from foveal.ops import box_iou

Progress = Callable[[Iterable[Any], int, str], Iterable[Any]]
"""``progress(items, total, description)``: wraps a stream of work (a progress bar)."""


def read_dlib_xml(path: str | os.PathLike) -> list[tuple[Path, np.ndarray]]:
    """Images and their ``xyxy`` face boxes from a dlib imglab XML file
    (``<box top left width height>``; boxes marked ``ignore='1'`` are left out)."""
    p = Path(path)
    try:
        root = ET.parse(p).getroot()
    except (ET.ParseError, OSError) as exc:
        raise ConfigError(f"{p} is not a readable dlib XML file: {exc}") from exc
    out = []
    for im in root.iter("image"):
        boxes = [
            [
                float(b.get("left", 0)),
                float(b.get("top", 0)),
                float(b.get("left", 0)) + float(b.get("width", 0)),
                float(b.get("top", 0)) + float(b.get("height", 0)),
            ]
            for b in im.iter("box")
            if b.get("ignore", "0") != "1"
        ]
        out.append((p.parent / im.get("file", ""), np.asarray(boxes, np.float32).reshape(-1, 4)))
    if not out:
        raise ConfigError(f"{p} lists no <image> elements")
    return out


def detection_ap(
    pred_boxes: Sequence[np.ndarray],
    pred_scores: Sequence[np.ndarray],
    gt_boxes: Sequence[np.ndarray],
    *,
    iou: float = 0.5,
) -> dict[str, float]:
    """Average precision (all-point interpolated, VOC 2010+) of one class over many images,
    plus recall and false positives per image at the operating point (every prediction kept)."""
    records: list[tuple[float, bool]] = []
    n_gt = sum(len(g) for g in gt_boxes)
    fps = tps = 0
    for boxes, scores, gt in zip(pred_boxes, pred_scores, gt_boxes, strict=True):
        order = np.argsort(-np.asarray(scores))
        taken = np.zeros(len(gt), bool)
        ious = (
            box_iou(np.asarray(boxes)[order], gt)
            if len(gt) and len(boxes)
            else np.zeros((len(boxes), len(gt)))
        )
        for rank, i in enumerate(order):
            hit = False
            if len(gt):
                cand = np.where(~taken, ious[rank], -1.0)
                j = int(np.argmax(cand))
                if cand[j] >= iou:
                    taken[j] = hit = True
            records.append((float(scores[i]), hit))
            tps += hit
            fps += not hit
    if n_gt == 0:
        raise ConfigError("no ground-truth boxes to evaluate against")
    records.sort(key=lambda r: -r[0])
    hits = np.array([h for _, h in records], bool)
    tp = np.cumsum(hits)
    fp = np.cumsum(~hits)
    recall = tp / n_gt if len(hits) else np.zeros(0)
    precision = tp / np.maximum(tp + fp, 1) if len(hits) else np.zeros(0)
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[1.0], precision, [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    idx = np.flatnonzero(mrec[1:] != mrec[:-1])
    ap = float(((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]).sum())
    return {
        "ap": round(ap, 6),
        "recall": round(tps / n_gt, 6),
        "precision": round(tps / max(tps + fps, 1), 6),
        "fp_per_image": round(fps / max(len(gt_boxes), 1), 6),
        "faces": float(n_gt),
        "images": float(len(gt_boxes)),
    }


def evaluate_detector(
    detector: Any,
    xml: str | os.PathLike,
    *,
    iou: float = 0.5,
    progress: Progress | None = None,
    **options: Any,
) -> dict[str, Any]:
    """:func:`detection_ap` of a :class:`foveal.tasks.faces.FaceDetector` on a dlib XML data set;
    ``options`` are the detector's call options (``conf`` ...); ``progress(items, total, desc)``
    wraps the stream of results (a progress bar)."""
    items = read_dlib_xml(xml)
    conf = detector.options(**options).conf
    found = detector.predict_batch([p for p, _ in items], **options)
    if progress is not None:
        found = progress(found, len(items), f"eval faces {detector.name}")
    preds = [faces for _, faces in found]
    out = detection_ap(
        [p.xyxy for p in preds], [p.scores for p in preds], [g for _, g in items], iou=iou
    )
    return {"model": detector.name, "conf": conf, **out}


def verification_metrics(
    distances: np.ndarray, same: np.ndarray, *, fars: Sequence[float] = (0.001, 0.01, 0.1)
) -> dict[str, Any]:
    """ROC of a distance-based verifier: pairs with distance below a threshold are "same".

    Returns AUC, the equal error rate, the best accuracy and its threshold, the true accept rate at
    each false accept rate in ``fars`` (with the threshold achieving it), and the ROC points.
    """
    d = np.asarray(distances, np.float64)
    y = np.asarray(same, bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        raise ConfigError(
            f"need both same-person and different-person pairs; got {n_pos} and {n_neg}"
        )
    thr = np.concatenate([[-np.inf], np.unique(d), [np.inf]])
    # "same" when distance <= t
    tpr = np.array([(d[y] <= t).mean() for t in thr])
    fpr = np.array([(d[~y] <= t).mean() for t in thr])
    auc = float(np.trapezoid(tpr, fpr)) if hasattr(np, "trapezoid") else float(np.trapz(tpr, fpr))
    acc = (tpr * n_pos + (1 - fpr) * n_neg) / (n_pos + n_neg)
    best = int(np.argmax(acc))
    eer_i = int(np.argmin(np.abs(fpr - (1 - tpr))))
    tar = {}
    for far in fars:
        ok = np.flatnonzero(fpr <= far)
        i = ok[-1] if ok.size else 0
        tar[f"tar@far={far:g}"] = {"tar": round(float(tpr[i]), 6), "threshold": float(thr[i])}
    # the largest margin between classes, if they are separable
    gap = (float(d[y].max()), float(d[~y].min()))
    return {
        "pairs_same": n_pos,
        "pairs_different": n_neg,
        "auc": round(auc, 6),
        "eer": round(float((fpr[eer_i] + 1 - tpr[eer_i]) / 2), 6),
        "best_accuracy": round(float(acc[best]), 6),
        "best_threshold": float(thr[best]),
        **tar,
        "max_same_distance": round(gap[0], 6),
        "min_different_distance": round(gap[1], 6),
        "roc": {"fpr": fpr.round(6).tolist(), "tpr": tpr.round(6).tolist()},
    }


def evaluate_verification(
    rec: Any,
    folder: str | os.PathLike,
    *,
    threshold: float | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Verification on every pair of photos of a folder-per-person data set (largest face of each
    photo), with the accuracy at the embedder's threshold (or ``threshold``); ``options`` are the
    recogniser's call options (``conf``, ``min_face``)."""
    from foveal.io import expand_sources
    from foveal.tasks.faces.embed import distance

    root = Path(folder)
    people = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if len(people) < 2:
        raise ConfigError(
            f"{root} needs one sub-folder per person (at least 2); found {len(people)}"
        )
    photos = [(k, f) for k, person in enumerate(people) for f in expand_sources(person)]
    if progress is not None:
        photos = progress(photos, len(photos), "eval faces verification")
    vecs, labels = [], []
    for k, f in photos:
        _, v = rec.embed_one(f, choose="largest", **options)
        vecs.append(v)
        labels.append(k)
    v = np.stack(vecs)
    lab = np.asarray(labels)
    pairs = np.array(list(itertools.combinations(range(len(v)), 2)))
    dmat = distance(v, v, rec.embedder.metric)
    d = dmat[pairs[:, 0], pairs[:, 1]]
    same = lab[pairs[:, 0]] == lab[pairs[:, 1]]
    out = verification_metrics(d, same)
    t = rec.embedder.threshold if threshold is None else float(threshold)
    out["threshold"] = t
    out["accuracy_at_threshold"] = round(float(((d < t) == same).mean()), 6)
    out["images"] = len(v)
    out["people"] = len(people)
    return out


def evaluate_faces(
    *,
    detection: str | os.PathLike | None = None,
    verification: str | os.PathLike | None = None,
    detectors: Sequence[str] = ("yunet.2023mar", "centerface.wider"),
    embedder: str = "dlib_resnet.v1",
    conf: float = 0.6,
    iou: float = 0.5,
    threshold: float | None = None,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """``foveal eval faces``: detection AP of each detector on a dlib XML file and/or verification
    (first detector + ``embedder``) on a folder per person; one result dict per evaluation, with
    ``task`` ``"face_detection"`` or ``"face_verification"``."""
    from foveal.tasks.faces import FaceDetector, FaceRecognizer

    if not detection and not verification:
        raise ConfigError("give --detection XML and/or --verification DIR")
    if not detectors:
        raise ConfigError("name at least one face detector")
    out: list[dict[str, Any]] = []
    if detection:
        for name in detectors:
            det = FaceDetector(name)
            res = evaluate_detector(det, detection, iou=iou, progress=progress, conf=conf)
            out.append({"task": "face_detection", **res})
    if verification:
        rec = FaceRecognizer(detectors[0], embedder)
        res = evaluate_verification(
            rec, verification, threshold=threshold, progress=progress, conf=conf
        )
        out.append(
            {"task": "face_verification", "detector": detectors[0], "embedder": embedder, **res}
        )
    return out
