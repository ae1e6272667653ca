"""foveal eval classify DATA_DIR --model RUN_DIR — top-1/top-5, per-class precision/recall,
confusion matrix."""

from __future__ import annotations

import argparse

from foveal.cli.groups import group
from foveal.cli.output import add_runtime_options


def register(sub: argparse._SubParsersAction) -> None:
    ev = group(sub, "eval", "evaluate a model on labelled data")
    p = ev.add_parser(
        "classify",
        help="evaluate a classifier on an ImageFolder (top-1/top-5, per-class precision/recall, "
        "confusion matrix)",
        epilog="example: foveal eval classify data/fashion-mnist --model runs/classify/1 "
        "--out eval/",
    )
    p.add_argument("data", help="ImageFolder root (uses test/, else val/, else the whole tree)")
    p.add_argument("--model", required=True, help="training run folder, .onnx file or zoo name")
    p.add_argument("--split", choices=("auto", "test", "val", "train", "all"), default="auto")
    p.add_argument("--out", help="folder for report.json, report.txt and confusion_matrix.png")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument(
        "--tta",
        action="store_true",
        help="average each image with its mirror (foveal classify --tta)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_runtime_options(p)
    p.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (shown on terminals)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from foveal.cli.output import (
        check_writable_dir,
        skip_line,
        stderr_is_terminal,
        use_runtime_options,
    )
    from foveal.evaluate.classification import evaluate_classifier, format_report

    use_runtime_options(args)
    if args.out:
        check_writable_dir(args.out, option="--out")
    m = evaluate_classifier(
        args.model,
        args.data,
        split=args.split,
        out_dir=args.out,
        batch_size=args.batch_size,
        tta=args.tta,
        progress=not args.no_progress and stderr_is_terminal(),
    )
    if m.get("seen_in_training"):
        print(
            f"foveal: warning: {m['seen_in_training']} of the scored images were used to train "
            f"{args.model} (its train_files.json); these scores overstate accuracy on new images; "
            "evaluate on images the model has not seen",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(m))
    else:
        print(f"{m['model']} on {m['data']}")
        print(format_report(m))
        for bad in m["skipped"]:
            print(skip_line(bad["source"], bad["error"]), file=sys.stderr)
        if args.out:
            files = m["files"]
            print(f"report: {files['json']}, confusion matrix: {files['confusion_matrix']}")
    return 0
