"""foveal eval detect DATA --model NAME_OR_ONNX — COCO mAP of a detector on a labelled dataset.

Predictions come from :class:`foveal.tasks.detection.Detector` (as :func:`foveal.detect`), with a low confidence threshold by
default (0.001) as COCO evaluation expects. The model's class names must share names with the
dataset's (a COCO model scores nothing on blood cells: fine-tune it first); dataset classes the model
does not know are reported and score AP 0. Without ``--split`` the ``test`` split is used, else
``val``, else every image.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from foveal.cli.groups import group


def register(sub: argparse._SubParsersAction) -> None:
    ev = group(sub, "eval", "evaluate a model on a labelled dataset")
    p = ev.add_parser(
        "detect",
        help="COCO mAP@[.5:.95], mAP@.5 and per-class AP of a detector on a VOC/COCO/YOLO dataset",
        description="Run a detector on every image of a labelled dataset and score it with pycocotools.",
        epilog="example: foveal eval detect BCCD --model runs/bccd --split test --plot pr.png",
    )
    p.add_argument("data", help="dataset folder, COCO .json file or YOLO data .yaml")
    p.add_argument("--model", default="yolox_nano.coco", help="zoo name, .onnx file or training run folder")
    p.add_argument("--format", choices=("auto", "voc", "coco", "yolo"), default="auto",
                   help="dataset format (default: sniffed)")
    p.add_argument("--split", help="split to evaluate (default: test, else val, else all images)")
    p.add_argument("--conf", type=float, default=0.001, help="confidence threshold (default 0.001)")
    p.add_argument("--iou", type=float, default=0.65, help="NMS IoU threshold (default 0.65)")
    p.add_argument("--max-dets", type=int, default=100, help="detections per image that count (default 100)")
    p.add_argument("--backend", choices=("onnx", "torch"), default="onnx", help="inference backend")
    p.add_argument("--plot", help="save precision-recall curves to this PNG")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run)


def model_labels(model: str) -> list[str] | None:
    """The class names of a zoo model, a foveal ``.onnx`` file or a run folder; ``None`` if unknown."""
    from foveal.runtime import local_onnx, read_metadata

    path = local_onnx(model)
    try:
        if path is not None and path.is_file():

            labels = read_metadata(path).get("labels")
            return [str(x) for x in labels] if labels else None
        from foveal.zoo import get

        return list(get(model).label_names()) or None
    except Exception:  # noqa: BLE001 - unknown names are reported by the detector itself
        return None


def predictor(model: str, *, conf: float, iou: float, max_det: int, backend: str = "onnx"
              ) -> tuple[Callable[[Path], Any], list[str] | None]:
    """``(predict(path) -> Detections, the model's class names or None)``.

    Uses :class:`foveal.tasks.detection.Detector` when it is installed, else the public verb
    :func:`foveal.api.detect`.
    """
    from foveal.errors import ConfigError

    try:
        from foveal.tasks.detection import Detector
    except ImportError:
        Detector = None  # noqa: N806
    if Detector is not None:
        det = Detector(model, backend=backend)

        def predict(path: Path) -> Any:
            return det.predict(path, conf=conf, iou=iou, max_det=max_det)

        return predict, [str(x) for x in getattr(det, "labels", ())] or None

    from foveal import api

    detect = getattr(api, "detect", None)
    if detect is None:
        raise ConfigError("object detection (foveal.detect) is not available in this installation")

    def predict_api(path: Path) -> Any:
        return detect(path, model=model, conf=conf, iou=iou)

    return predict_api, model_labels(model)


def _default_split(splits: dict[str, int]) -> str | None:
    for s in ("test", "val"):
        if s in splits:
            return s
    return None


def run(args: argparse.Namespace) -> int:
    from foveal.cli.output import progress, report_bad
    from foveal.data.detection import load_detection
    from foveal.errors import ConfigError, ImageError
    from foveal.evaluate.detection import DetectionMetric, match_classes
    from foveal.io import BatchReport

    if not 0 <= args.conf <= 1 or not 0 < args.iou <= 1:
        raise ConfigError(f"--conf must be in [0, 1] and --iou in (0, 1]; got {args.conf} and {args.iou}")
    if args.max_dets < 1:
        raise ConfigError(f"--max-dets must be at least 1, got {args.max_dets}")
    fmt = None if args.format == "auto" else args.format
    ds = load_detection(args.data, fmt)
    split = args.split or _default_split(ds.splits)
    ds = ds.subset(split)
    predict, labels = predictor(args.model, conf=args.conf, iou=args.iou, max_det=args.max_dets,
                                backend=args.backend)
    missing = match_classes(ds.classes, labels)
    if missing:
        print(f"warning: the model has no class named {', '.join(missing)}; those classes score AP 0",
              file=sys.stderr)
    metric = DetectionMetric(ds.classes, max_dets=args.max_dets)
    report = BatchReport()
    for im in progress(ds.images, total=len(ds), desc="eval detect", enabled=not args.no_progress):
        try:
            pred = predict(im.path)
        except ImageError as exc:
            report.add_bad(im.path, exc)
            continue
        metric.update(pred, im)
    if not len(metric):
        raise ConfigError(f"none of the {len(ds)} images could be read; see the errors above")
    scores = metric.compute()
    if scores.num_predictions == 0 and metric.unmatched_predictions:
        seen = ", ".join(sorted(metric.seen_prediction_names)[:8])
        raise ConfigError(f"the model predicted only classes ({seen}) that are not in the dataset "
                          f"({', '.join(ds.classes)}); evaluate a model trained on this dataset")
    plot = scores.plot_pr(args.plot, title=f"{args.model} on {Path(args.data).name}"
                          f"{f' ({split})' if split else ''}") if args.plot else None
    if args.json:
        print(json.dumps({"data": str(args.data), "split": split, "model": str(args.model),
                          "conf": args.conf, "iou": args.iou, **scores.to_dict(),
                          "plot": str(plot) if plot else None, "skipped": len(report.bad)}, indent=2))
    else:
        print(f"{args.model} on {args.data}{f' split {split}' if split else ''}")
        print(scores.to_text())
        if plot:
            print(f"precision-recall curves: {plot}")
    report_bad(report, as_json=args.json)
    return 1 if report.bad else 0
