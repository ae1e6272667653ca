"""foveal eval faces — detection AP on dlib-XML boxes, verification ROC / TAR@FAR on a folder
per person."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    from foveal.cli.groups import group
    from foveal.cli.output import add_runtime_options

    ev = group(sub, "eval", "evaluate models on labelled data")
    p = ev.add_parser(
        "faces",
        help="face detection AP (dlib XML) and verification ROC (folder per person)",
        epilog="example: foveal eval faces --detection ../shared/data/faces/detection/training.xml "
        "--verification ../shared/data/faces/people/train",
    )
    p.add_argument(
        "--detection", metavar="XML", help="dlib imglab XML with <box top left width height>"
    )
    p.add_argument("--verification", metavar="DIR", help="one sub-folder of photos per person")
    p.add_argument(
        "--detectors", default="yunet.2023mar,centerface.wider", help="comma-separated zoo names"
    )
    p.add_argument(
        "--conf", type=float, default=0.6, help="detection score threshold (default 0.6)"
    )
    p.add_argument(
        "--iou", type=float, default=0.5, help="IoU for a correct detection (default 0.5)"
    )
    p.add_argument("--embedder", default="dlib_resnet.v1")
    p.add_argument(
        "--threshold", type=float, help="verification distance threshold (default: the embedder's)"
    )
    p.add_argument("--json", action="store_true")
    add_runtime_options(p)
    p.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (shown on terminals)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from foveal.cli.output import progress, use_runtime_options, write_jsonl
    from foveal.evaluate.faces import evaluate_faces

    use_runtime_options(args)

    def bar(items: Any, total: int, desc: str) -> Any:
        return progress(items, total=total, desc=desc, enabled=not args.no_progress)

    names = [n.strip() for n in args.detectors.split(",") if n.strip()]
    results = evaluate_faces(
        detection=args.detection,
        verification=args.verification,
        detectors=names,
        embedder=args.embedder,
        conf=args.conf,
        iou=args.iou,
        threshold=args.threshold,
        progress=bar,
    )
    for res in results:
        if args.json:
            write_jsonl(res, sys.stdout)
        elif res["task"] == "face_detection":
            _print_detection(res, args.iou)
        else:
            _print_verification(res)
    return 0


def _print_detection(res: dict, iou: float) -> None:
    print(
        f"{res['model']}: AP@{iou:g} {res['ap']:.3f}, recall {res['recall']:.3f}, "
        f"precision {res['precision']:.3f}, {res['fp_per_image']:.2f} FP/image "
        f"({int(res['faces'])} faces, {int(res['images'])} images, conf {res['conf']:g})"
    )


def _print_verification(res: dict) -> None:
    print(
        f"verification ({res['people']} people, {res['images']} photos, {res['pairs_same']} "
        f"same / {res['pairs_different']} different pairs): AUC {res['auc']:.4f}, "
        f"EER {res['eer']:.4f}, accuracy {res['accuracy_at_threshold']:.4f} at threshold "
        f"{res['threshold']:g}"
    )
    print(
        f"  best accuracy {res['best_accuracy']:.4f} at {res['best_threshold']:.3f}; "
        f"same-person distances <= {res['max_same_distance']:.3f}, "
        f"different-person >= {res['min_different_distance']:.3f}"
    )
    for k, v in res.items():
        if k.startswith("tar@"):
            print(f"  {k}: TAR {v['tar']:.4f} (threshold {v['threshold']:.3f})")
