"""Score a detector on a labelled dataset with COCO mAP (the one mAP: pycocotools).

>>> from foveal.data.detection import DetectionImage
>>> cup = DetectionImage("coffee.png", 600, 400, [[162, 16, 421, 295]], [0])
>>> scores = evaluate_detector(Detector("yolox_nano.coco"), [cup], ["cup"])
>>> round(scores.map, 3), round(scores.map50, 3)     # the one cup is found: AP 1 at every IoU
(1.0, 1.0)

A detector fine-tuned on BCCD (``foveal train detect``), on its test split::

    from foveal.data.detection import load_detection
    ds = load_detection("BCCD").subset("test")
    scores = evaluate_detector(Detector("runs/bccd"), ds.images, ds.classes)
    scores.map, scores.per_class["WBC"]["ap50"]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from foveal.errors import ConfigError
from foveal.evaluate.detection import DetectionMetric, DetectionScores, check_predictions
from foveal.io import BatchReport
from foveal.results import Detections
from foveal.tasks.detect.predict import Detector


def predict_images(
    detector: Detector,
    images: Sequence[Any],
    *,
    report: BatchReport | None = None,
    **options: Any,
) -> Iterator[tuple[Any, Detections]]:
    """``(image record, detections)`` for every record (anything with a ``path``) whose image
    could be read, in order, through :meth:`Detector.predict_batch` (decoding threads, batches).
    Unreadable images go into ``report`` (or raise without one)."""
    records = iter(images)
    for item, pred in detector.predict_batch([im.path for im in images], report=report, **options):
        rec = next(records)
        while rec.path != item.path:  # the records before it were skipped (reported)
            rec = next(records)
        yield rec, pred


def evaluate_detector(
    detector: Detector,
    images: Sequence[Any],
    classes: Sequence[str],
    *,
    conf: float = 0.001,
    iou: float = 0.65,
    max_dets: int = 100,
    report: BatchReport | None = None,
    progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
) -> DetectionScores:
    """COCO mAP@[.5:.95], mAP@.5 and per-class AP of ``detector`` on ``images`` (records with
    ``path``, ``boxes``, ``class_ids``; ``classes`` names their ids). A low ``conf`` (default
    0.001) is what COCO evaluation expects.

    Raises:
        ConfigError: no image could be read, or every prediction has a class the dataset lacks.
    """
    metric = DetectionMetric(classes, max_dets=max_dets)
    pairs: Iterable[tuple[Any, Detections]] = predict_images(
        detector, images, report=report, conf=conf, iou=iou, max_det=max_dets
    )
    for rec, pred in progress(pairs) if progress is not None else pairs:
        metric.update(pred, rec)
    if not len(metric):
        raise ConfigError(f"none of the {len(images)} images could be read; see the errors above")
    return check_predictions(metric, metric.compute())
