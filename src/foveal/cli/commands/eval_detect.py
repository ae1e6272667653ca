"""foveal eval detect DATA --model NAME_OR_ONNX — COCO mAP of a detector on a labelled dataset.

Predictions come from :class:`foveal.tasks.detect.Detector` (as :func:`foveal.detect`), with a low
confidence threshold by default (0.001) as COCO evaluation expects. The model's class names must
share names with the dataset's (a COCO model scores nothing on blood cells: fine-tune it first);
dataset classes the model does not know are reported and score AP 0. Without ``--split`` the
``test`` split is used, else ``val``, else every image.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from foveal.cli.groups import group
from foveal.cli.output import add_runtime_options


def register(sub: argparse._SubParsersAction) -> None:
    ev = group(sub, "eval", "evaluate a model on a labelled dataset")
    p = ev.add_parser(
        "detect",
        help="COCO mAP@[.5:.95], mAP@.5 and per-class AP of a detector on a VOC/COCO/YOLO dataset",
        description=(
            "Run a detector on every image of a labelled dataset and score it with pycocotools."
        ),
        epilog="example: foveal eval detect BCCD --model runs/bccd --split test --plot pr.png",
    )
    p.add_argument("data", help="dataset folder, COCO .json file or YOLO data .yaml")
    p.add_argument(
        "--model", default="yolox_nano.coco", help="zoo name, .onnx file or training run folder"
    )
    p.add_argument(
        "--format",
        choices=("auto", "voc", "coco", "yolo"),
        default="auto",
        help="dataset format (default: sniffed)",
    )
    p.add_argument("--split", help="split to evaluate (default: test, else val, else all images)")
    p.add_argument("--conf", type=float, default=0.001, help="confidence threshold (default 0.001)")
    p.add_argument("--iou", type=float, default=0.65, help="NMS IoU threshold (default 0.65)")
    p.add_argument(
        "--max-dets", type=int, default=100, help="detections per image that count (default 100)"
    )
    p.add_argument("--backend", choices=("onnx", "torch"), default="onnx", help="inference backend")
    p.add_argument("--plot", help="save precision-recall curves to this PNG")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    add_runtime_options(p)
    p.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (shown on terminals)"
    )
    p.set_defaults(func=run)


def load_detector(model: str, backend: str = "onnx") -> Any:
    """The shared :class:`~foveal.tasks.detect.Detector` for ``model`` (zoo name, ``.onnx`` file
    or run folder), opened by the task table's one resolver."""
    from foveal.tasks import get_task

    return get_task("detect").load(model=model, backend=backend)


def _default_split(splits: dict[str, int]) -> str | None:
    for s in ("test", "val"):
        if s in splits:
            return s
    return None


def run(args: argparse.Namespace) -> int:
    from foveal.cli.output import (
        check_writable_file,
        progress,
        report_bad,
        use_runtime_options,
    )
    from foveal.data.detection import load_detection
    from foveal.errors import ConfigError
    from foveal.evaluate.detection import match_classes
    from foveal.io import BatchReport
    from foveal.tasks.detect.evaluate import evaluate_detector

    if not 0 <= args.conf <= 1 or not 0 < args.iou <= 1:
        raise ConfigError(
            f"--conf must be in [0, 1] and --iou in (0, 1]; got {args.conf} and {args.iou}"
        )
    if args.max_dets < 1:
        raise ConfigError(f"--max-dets must be at least 1, got {args.max_dets}")
    use_runtime_options(args)
    if args.plot:
        check_writable_file(args.plot, option="--plot")
    fmt = None if args.format == "auto" else args.format
    ds = load_detection(args.data, fmt)
    split = args.split or _default_split(ds.splits)
    ds = ds.subset(split)
    det = load_detector(args.model, backend=args.backend)
    missing = match_classes(ds.classes, list(det.labels) or None)
    if missing:
        print(
            f"warning: the model has no class named {', '.join(missing)}; those classes score AP 0",
            file=sys.stderr,
        )
    report = BatchReport()
    scores = evaluate_detector(
        det,
        ds.images,
        ds.classes,
        conf=args.conf,
        iou=args.iou,
        max_dets=args.max_dets,
        report=report,
        progress=lambda it: progress(
            it, total=len(ds), desc="eval detect", enabled=not args.no_progress
        ),
    )
    plot = (
        scores.plot_pr(
            args.plot,
            title=f"{args.model} on {Path(args.data).name}{f' ({split})' if split else ''}",
        )
        if args.plot
        else None
    )
    if args.json:
        print(
            json.dumps(
                {
                    "data": str(args.data),
                    "split": split,
                    "model": str(args.model),
                    "conf": args.conf,
                    "iou": args.iou,
                    **scores.to_dict(),
                    "plot": str(plot) if plot else None,
                    "skipped": len(report.bad),
                },
                indent=2,
            )
        )
    else:
        print(f"{args.model} on {args.data}{f' split {split}' if split else ''}")
        print(scores.to_text())
        if plot:
            print(f"precision-recall curves: {plot}")
    report_bad(report, as_json=args.json)
    return 1 if report.bad else 0
