"""COCO-style detection metrics (mAP@[.5:.95], mAP@.5, per-class AP) computed by pycocotools.

>>> from foveal.evaluate.detection import DetectionMetric
>>> from foveal.results import Detections
>>> metric = DetectionMetric(["Platelets", "RBC", "WBC"])
>>> truth = Detections([[10, 10, 60, 60], [100, 100, 200, 200]], [1, 1], [2, 1], ["WBC", "RBC"])
>>> found = Detections([[10, 10, 60, 60], [100, 100, 200, 168]], [0.9, 0.8], [2, 1], ["WBC", "RBC"])
>>> metric.update(found, truth)          # one image; the RBC box overlaps its truth at IoU 0.68
>>> scores = metric.compute()
>>> round(scores.map, 3), round(scores.map50, 3), round(scores.per_class["RBC"]["ap"], 3)
(0.7, 1.0, 0.4)

Over a dataset (``dataset`` from :func:`foveal.data.detection.load_detection`, ``run`` a trained
detector), with the precision-recall curves as a PNG::

    for im in dataset:
        metric.update(foveal.detect(im.path, model=run, conf=0.001), im)
    scores = metric.compute()
    scores.plot_pr("pr.png")

Conventions:

* Predictions are matched to the metric's classes **by name** (``Detections.names``); predicted
  names that are not among the classes are dropped and counted in ``unmatched_predictions``.
* Ground truth is a :class:`foveal.data.detection.DetectionImage` (class ids index the metric's
  classes) or a :class:`foveal.results.Detections` (matched by name).
* ``difficult`` ground-truth boxes (VOC difficult, COCO iscrowd) are passed as ``iscrowd`` and so
  ignored, as in COCO. Ground-truth boxes with zero area can never be matched; they are left out and
  counted in ``ignored_gt``.
* At most ``max_dets`` (default 100) detections per image count, the best scoring, as in COCO.
  For a fair mAP, predict with a low confidence threshold (e.g. ``conf=0.001``).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import ConfigError
from foveal.results import Detections


@dataclass
class DetectionScores:
    """What :meth:`DetectionMetric.compute` returns.

    Attributes:
        map: COCO AP averaged over IoU 0.50:0.05:0.95 and classes (``nan`` without ground truth).
        map50, map75: AP at IoU 0.5 and 0.75.
        per_class: name -> ``{"ap", "ap50", "ap75", "gt", "predictions"}`` (AP ``None`` for a class
            without ground truth).
        stats: pycocotools' 12 summary numbers (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100,
            ARs, ARm, ARl).
        precision: pycocotools' precision array ``[T=10, R=101, K, A=4, M=3]``.
    """

    map: float
    map50: float
    map75: float
    per_class: dict[str, dict[str, Any]]
    stats: list[float]
    num_images: int
    num_gt: int
    num_predictions: int
    unmatched_predictions: int = 0
    ignored_gt: int = 0
    precision: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None or math.isnan(v) else round(float(v), 6)

        return {
            "map": r(self.map),
            "map50": r(self.map50),
            "map75": r(self.map75),
            "per_class": {
                k: {kk: (r(vv) if kk.startswith("ap") else vv) for kk, vv in v.items()}
                for k, v in self.per_class.items()
            },
            "stats": [r(s) for s in self.stats],
            "images": self.num_images,
            "ground_truth": self.num_gt,
            "predictions": self.num_predictions,
            "unmatched_predictions": self.unmatched_predictions,
            "ignored_gt": self.ignored_gt,
        }

    def to_text(self) -> str:
        def f(v: float | None) -> str:
            return "  n/a" if v is None or math.isnan(v) else f"{v:.4f}"

        lines = [
            f"images {self.num_images}, ground-truth boxes {self.num_gt}, predictions "
            f"{self.num_predictions}",
            f"mAP@[.5:.95] {f(self.map)}   mAP@.5 {f(self.map50)}   mAP@.75 {f(self.map75)}",
            f"{'class':<20} {'AP':>7} {'AP50':>7} {'AP75':>7} {'gt':>6} {'preds':>7}",
        ]
        for name, c in self.per_class.items():
            lines.append(
                f"{name[:20]:<20} {f(c['ap']):>7} {f(c['ap50']):>7} {f(c['ap75']):>7} "
                f"{c['gt']:>6} {c['predictions']:>7}"
            )
        if self.unmatched_predictions:
            lines.append(
                f"{self.unmatched_predictions} predictions had class names outside the dataset's "
                "and were ignored"
            )
        if self.ignored_gt:
            lines.append(f"{self.ignored_gt} zero-area ground-truth boxes were ignored")
        return "\n".join(lines)

    def plot_pr(self, path: str | os.PathLike, *, title: str | None = None) -> Path:
        """Save precision-recall curves (IoU 0.5, one per class, plus their mean) as a PNG."""
        from foveal.train.plots import figure, save_png, wrap_title

        if self.precision is None:
            raise ConfigError("these scores have no precision array to plot (no ground truth?)")
        recall = np.linspace(0, 1, 101)
        many = len(self.per_class) > 10
        fig, ax = figure((8.4 if many else 6.4, 4.8))
        curves = []
        for k, name in enumerate(self.per_class):
            p = self.precision[0, :, k, 0, -1]
            if (p < 0).all():
                continue
            p = np.where(p < 0, 0, p)
            curves.append(p)
            ax.plot(recall, p, linewidth=1, label=f"{name} AP50 {self.per_class[name]['ap50']:.3f}")
        if curves:
            ax.plot(
                recall,
                np.mean(curves, axis=0),
                color="black",
                linewidth=2.5,
                label=f"all classes {self.map50:.3f} mAP@.5",
            )
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.set_title(
            wrap_title(title or f"precision-recall at IoU 0.5 (mAP@[.5:.95] {self.map:.3f})", fig)
        )
        if many:  # beside the axes, where it hides no curve
            ax.legend(
                loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7, ncols=1 + len(curves) // 25
            )
        else:
            ax.legend(loc="lower left", fontsize=8)
        return save_png(fig, path, dpi=100)


class DetectionMetric:
    """Accumulate predictions and ground truth image by image; ``compute()`` runs pycocotools'
    COCOeval.

    Args:
        classes: the dataset's class names (ground-truth class ids index this list).
        max_dets: detections per image that count (COCO: 100).
    """

    def __init__(self, classes: Sequence[str], *, max_dets: int = 100) -> None:
        if not classes:
            raise ConfigError("DetectionMetric needs the dataset's class names; got an empty list")
        if max_dets < 1:
            raise ConfigError(f"max_dets must be at least 1, got {max_dets}")
        self.classes = [str(c) for c in classes]
        self._index = {n: i for i, n in enumerate(self.classes)}
        self.max_dets = int(max_dets)
        self.reset()

    def reset(self) -> None:
        self._gt: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._pred: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.unmatched_predictions = 0
        self.ignored_gt = 0
        self.seen_prediction_names: set[str] = set()

    def __len__(self) -> int:
        return len(self._gt)

    def update(self, pred: Detections, target: Any) -> None:
        """Add one image: its predictions and its ground truth.

        ``target`` is a :class:`~foveal.data.detection.DetectionImage`, a ``Detections`` (matched by
        name), or a dict with ``boxes`` (N, 4) and ``labels`` (N,) arrays or tensors (what
        :class:`foveal.data.detection_torch.TorchDetectionDataset` yields; boxes in the same pixel
        space as the predictions).
        """
        if not isinstance(pred, Detections):
            raise ConfigError(
                f"predictions must be foveal.results.Detections; got {type(pred).__name__}"
            )
        self.seen_prediction_names.update(pred.names)
        keep = np.array([n in self._index for n in pred.names], bool)
        self.unmatched_predictions += int((~keep).sum())
        pcls = np.array([self._index[n] for n in pred.names if n in self._index], np.int64)
        self._pred.append(
            (pred.xyxy[keep].astype(np.float64), pred.scores[keep].astype(np.float64), pcls)
        )
        if isinstance(target, Detections):
            if any(n not in self._index for n in target.names):
                bad = sorted({n for n in target.names if n not in self._index})
                raise ConfigError(
                    f"ground truth has classes {bad} that are not among {self.classes}"
                )
            boxes, cls = target.xyxy, np.array([self._index[n] for n in target.names], np.int64)
            difficult = np.zeros(len(boxes), bool)
        else:
            if isinstance(target, dict):  # a target of foveal.data.detection_torch: boxes + labels
                boxes, cls, difficult = target["boxes"], target["labels"], target.get("difficult")
            else:  # a DetectionImage
                boxes, cls, difficult = (
                    target.boxes,
                    target.class_ids,
                    getattr(target, "difficult", None),
                )
            boxes, cls = _np(boxes, np.float64).reshape(-1, 4), _np(cls, np.int64).reshape(-1)
            difficult = (
                np.zeros(len(boxes), bool)
                if difficult is None
                else _np(difficult, bool).reshape(-1)
            )
            if len(cls) and (cls.min() < 0 or cls.max() >= len(self.classes)):
                raise ConfigError(
                    f"ground-truth class id {int(cls.max())} is outside 0..{len(self.classes) - 1}"
                )
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        ok = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        self.ignored_gt += int((~ok).sum())
        self._gt.append((boxes[ok], cls[ok], difficult[ok]))

    def coco_dicts(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The ground truth as a COCO dataset dict and the predictions as a COCO results list."""
        images = [{"id": i + 1} for i in range(len(self._gt))]
        anns, dets = [], []
        for i, (b, c, d) in enumerate(self._gt):
            for box, k, dd in zip(b, c, d, strict=True):
                w, h = box[2] - box[0], box[3] - box[1]
                anns.append(
                    {
                        "id": len(anns) + 1,
                        "image_id": i + 1,
                        "category_id": int(k) + 1,
                        "bbox": [box[0], box[1], w, h],
                        "area": w * h,
                        "iscrowd": int(dd),
                    }
                )
        for i, (b, s, c) in enumerate(self._pred):
            for box, sc, k in zip(b, s, c, strict=True):
                w, h = box[2] - box[0], box[3] - box[1]
                dets.append(
                    {
                        "id": len(dets) + 1,
                        "image_id": i + 1,
                        "category_id": int(k) + 1,
                        "bbox": [box[0], box[1], w, h],
                        "area": w * h,
                        "score": float(sc),
                        "iscrowd": 0,
                    }
                )
        cats = [{"id": i + 1, "name": n} for i, n in enumerate(self.classes)]
        return {"images": images, "annotations": anns, "categories": cats}, dets

    def compute(self) -> DetectionScores:
        """Run COCOeval (bbox) on everything added so far."""
        try:
            from pycocotools.coco import COCO
            from pycocotools.cocoeval import COCOeval
        except (
            ImportError
        ) as exc:  # pragma: no cover - pycocotools is a dependency of foveal[detect]
            raise ConfigError(
                "detection metrics need pycocotools: pip install 'foveal[detect]'"
            ) from exc
        if not self._gt:
            raise ConfigError("no images were added to the metric; call update() first")
        gt_dict, dets = self.coco_dicts()
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO()
            gt.dataset = gt_dict
            gt.createIndex()
            dt = COCO()
            dt.dataset = {
                "images": gt_dict["images"],
                "annotations": dets,
                "categories": gt_dict["categories"],
            }
            dt.createIndex()
            ev = COCOeval(gt, dt, "bbox")
            ev.params.maxDets = [1, 10, self.max_dets]
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        prec = ev.eval["precision"]  # [T, R, K, A, M]

        def ap(p: np.ndarray) -> float:
            v = p[p > -1]
            return float(v.mean()) if v.size else float("nan")

        n_gt = np.zeros(len(self.classes), int)
        n_pred = np.zeros(len(self.classes), int)
        for _, c, d in self._gt:
            np.add.at(n_gt, c[~d], 1)
        for _, _, c in self._pred:
            np.add.at(n_pred, c, 1)
        per_class: dict[str, dict[str, Any]] = {}
        for k, name in enumerate(self.classes):
            a, a50, a75 = (
                ap(prec[:, :, k, 0, -1]),
                ap(prec[0, :, k, 0, -1]),
                ap(prec[5, :, k, 0, -1]),
            )
            per_class[name] = {
                "ap": None if math.isnan(a) else a,
                "ap50": None if math.isnan(a50) else a50,
                "ap75": None if math.isnan(a75) else a75,
                "gt": int(n_gt[k]),
                "predictions": int(n_pred[k]),
            }
        stats = [float(s) for s in ev.stats]
        return DetectionScores(
            map=ap(prec[:, :, :, 0, -1]),
            map50=ap(prec[0, :, :, 0, -1]),
            map75=ap(prec[5, :, :, 0, -1]),
            per_class=per_class,
            stats=stats,
            num_images=len(self._gt),
            num_gt=int(n_gt.sum()),
            num_predictions=int(n_pred.sum()),
            unmatched_predictions=self.unmatched_predictions,
            ignored_gt=self.ignored_gt,
            precision=prec,
        )


def _np(x: Any, dtype: Any) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype)


def match_classes(dataset_classes: Sequence[str], model_classes: Sequence[str] | None) -> list[str]:
    """Check that a model can be scored on a dataset; returns the dataset classes the model lacks.

    Raises:
        ConfigError: no class name in common (e.g. a COCO model on blood cells): fine-tune first.
    """
    if not model_classes:
        return []
    common = set(dataset_classes) & set(model_classes)
    if not common:
        shown = ", ".join(list(model_classes)[:8]) + (", ..." if len(model_classes) > 8 else "")
        raise ConfigError(
            f"the model's classes ({shown}) share no name with the dataset's ("
            f"{', '.join(dataset_classes)}); "
            "evaluate a model trained on this dataset (foveal train detect DATA ...), or rename "
            "the classes"
        )
    return [c for c in dataset_classes if c not in common]


def evaluate_detections(
    predict: Callable[[Path], Detections],
    images: Iterable[Any],
    classes: Sequence[str],
    *,
    max_dets: int = 100,
    on_image: Callable[[Any, Detections], None] | None = None,
) -> DetectionScores:
    """Run ``predict(image_path)`` on every ground-truth image and score the results.

    Raises:
        ConfigError: the model predicted objects but none with a dataset class name.
    """
    metric = DetectionMetric(classes, max_dets=max_dets)
    for im in images:
        pred = predict(im.path)
        metric.update(pred, im)
        if on_image is not None:
            on_image(im, pred)
    return check_predictions(metric, metric.compute())


def check_predictions(metric: DetectionMetric, scores: DetectionScores) -> DetectionScores:
    """``scores``, unless the model predicted objects but none with a class of the dataset.

    Raises:
        ConfigError: every prediction had a class name the dataset does not have.
    """
    if scores.num_predictions == 0 and metric.unmatched_predictions:
        seen = ", ".join(sorted(metric.seen_prediction_names)[:8])
        raise ConfigError(
            f"the model predicted {metric.unmatched_predictions} objects, all of classes ({seen}) "
            f"that are not in the dataset ({', '.join(metric.classes)}); evaluate a model trained "
            "on this dataset"
        )
    return scores
