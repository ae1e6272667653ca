"""foveal train detect DATA — fine-tune a pretrained YOLOX detector on your boxes (COCO, YOLO or
VOC)."""

from __future__ import annotations

import argparse

from foveal.cli.engine_options import add_engine_options, engine_config, print_fit_summary
from foveal.cli.groups import group


def register(sub: argparse._SubParsersAction) -> None:
    train = group(sub, "train", "train or fine-tune a model on your data")
    p = train.add_parser(
        "detect",
        help="fine-tune an object detector (YOLOX) on a COCO / YOLO / VOC dataset",
        description=(
            "Fine-tune a zoo detector on DATA (COCO JSON, YOLO txt + data yaml, or Pascal VOC; the "
            "format is detected). Picks the best epoch on validation mAP@[.5:.95]; the run folder "
            "gets model.onnx, usable with 'foveal detect --model RUN_DIR'."
        ),
        epilog=(
            "example: foveal train detect BCCD/ --model yolox_nano.coco --epochs 30 "
            "--val-split test"
        ),
    )
    p.add_argument("data", help="dataset folder or file (COCO JSON, YOLO data yaml, VOC root)")
    p.add_argument("--model", default="yolox_nano.coco", help="zoo detector to start from")
    p.add_argument(
        "--scratch",
        action="store_true",
        help="random initialisation instead of the pretrained weights",
    )
    p.add_argument("--train-split", default="train", help="split to train on (default train)")
    p.add_argument(
        "--val-split",
        default="val",
        help="split for validation and best-model selection (default val)",
    )
    p.add_argument(
        "--input-size",
        type=int,
        default=416,
        help="square network input, a multiple of 32 (default 416)",
    )
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--workers", type=int, default=0, help="data loading processes")
    p.add_argument(
        "--no-augment", action="store_true", help="no flips / scale jitter / colour jitter"
    )
    p.add_argument(
        "--mosaic",
        type=float,
        default=0.0,
        metavar="P",
        help="probability of a 4-image mosaic per training sample (default 0: off; "
        "it slows data loading and helps long trainings more than short fine-tunes)",
    )
    p.add_argument(
        "--train-bn",
        action="store_true",
        help="update BatchNorm statistics (default: frozen when pretrained)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_engine_options(p, epochs=30)
    p.set_defaults(func=run, weight_decay=5e-4)


def run(args: argparse.Namespace) -> int:
    from foveal.data.detection import load_detection
    from foveal.data.detection_torch import Augment
    from foveal.tasks.detect.train import DetectionRecipe, train_detector

    config = engine_config(args, 1e-3)  # options and the run folder, before the data is read
    ds = load_detection(args.data)
    train, val = ds.subset(args.train_split), ds.subset(args.val_split)
    augment = None if args.no_augment else Augment(mosaic=args.mosaic)
    recipe = DetectionRecipe(
        train.images,
        val.images,
        ds.classes,
        model=args.model,
        pretrained=not args.scratch,
        input_size=args.input_size,
        batch_size=args.batch_size,
        workers=args.workers,
        augment=augment,
        freeze_bn=False if args.train_bn else None,
    )
    result = train_detector(recipe, config)
    f = result.final
    print_fit_summary(
        result,
        args,
        scores=f"val mAP@[.5:.95] {f['map50_95']:.4f}, mAP@.5 {f['map50']:.4f}",
        files="model.onnx",
        use="foveal detect --model {run_dir} IMAGE",
    )
    return 0
