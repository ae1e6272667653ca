"""foveal eval track GT.txt PRED.txt — HOTA, MOTA, IDF1 and ID switches of a tracker's
MOTChallenge output against ground truth."""

from __future__ import annotations

import argparse

from foveal.cli.groups import group


def register(sub: argparse._SubParsersAction) -> None:
    ev = group(sub, "eval", "evaluate a model on a labelled dataset")
    p = ev.add_parser(
        "track",
        help="HOTA, MOTA, IDF1, ID switches of MOTChallenge tracks against ground truth",
        description=(
            "Score a tracker's MOTChallenge text file (foveal track --mot) against a ground-truth "
            "file in the same format: HOTA / DetA / AssA / LocA (TrackEval's definition) and "
            "MOTA / MOTP / IDF1 / ID switches (motmetrics)."
        ),
        epilog="example: foveal eval track gt.txt walk.txt --json",
    )
    p.add_argument("gt", help="ground truth: frame,id,x,y,w,h[,flag,...] per line")
    p.add_argument("pred", help="tracker output: frame,id,x,y,w,h[,score,...] per line")
    p.add_argument(
        "--iou", type=float, default=0.5, help="IoU for a match in MOTA / IDF1 (default 0.5)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from foveal.cli.output import write_jsonl
    from foveal.errors import ConfigError
    from foveal.evaluate.tracking import evaluate_tracking
    from foveal.tracking import read_mot

    if not 0 < args.iou <= 1:
        raise ConfigError(f"--iou is {args.iou}; expected a number in (0, 1], e.g. 0.5")
    gt = read_mot(args.gt)
    pred = read_mot(args.pred)
    metrics = evaluate_tracking(gt, pred, iou=args.iou)
    if args.json:
        write_jsonl({"gt": args.gt, "pred": args.pred, **metrics})
        return 0
    for key in ("HOTA", "DetA", "AssA", "LocA", "MOTA", "MOTP", "IDF1", "precision", "recall"):
        print(f"{key:<10} {metrics[key]:.4f}")
    print(f"{'IDSW':<10} {int(metrics['IDSW'])}")
    print(f"{'frames':<10} {int(metrics['frames'])}")
    return 0
