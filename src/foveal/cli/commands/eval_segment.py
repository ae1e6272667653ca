"""foveal eval segment DATA --model RUN — pixel error, IoU / mIoU and Dice of a segmenter."""

from __future__ import annotations

import argparse

from foveal.cli.groups import group
from foveal.cli.output import add_runtime_options


def register(sub: argparse._SubParsersAction) -> None:
    ev = group(sub, "eval", "evaluate a model on labelled data")
    p = ev.add_parser(
        "segment",
        help="evaluate a segmentation model on DATA/images + DATA/masks (pixel error, IoU, Dice)",
        epilog="example: foveal eval segment membrane-test/ --model runs/segment/1",
    )
    p.add_argument("data", help="folder with images/ and masks/ (same file names)")
    p.add_argument("--model", required=True, help="training run folder or .onnx file")
    p.add_argument("--tile", type=int, default=512, help="sliding-window size (default 512)")
    p.add_argument("--overlap", type=int, default=64, help="window overlap (default 64)")
    p.add_argument(
        "--tta",
        action="store_true",
        help="average the 8 flips and 90-degree turns of each window (default: one pass)",
    )
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    add_runtime_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from foveal.cli.output import use_runtime_options
    from foveal.tasks.segment.evaluate import evaluate_segmenter

    use_runtime_options(args)
    m = evaluate_segmenter(
        args.model, args.data, tile=args.tile, overlap=args.overlap, tta=args.tta
    )
    if args.json:
        print(json.dumps(m))
        return 0
    print(f"{m['model']} on {m['data']} ({m['images']} images, {m['pixels']} pixels)")
    print(
        f"pixel error {m['pixel_error']:.4f}  mIoU {m['miou']:.4f}  mean Dice {m['mean_dice']:.4f}"
    )
    for name in m["iou"]:
        iou, dice = m["iou"][name], m["dice"][name]
        shown = "absent" if iou is None else f"IoU {iou:.4f}  Dice {dice:.4f}"
        print(f"  {name}: {shown}")
    return 0
