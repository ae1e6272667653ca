"""foveal train segment DATA — train a U-Net on DATA/images + DATA/masks."""

from __future__ import annotations

import argparse

from foveal.cli.engine_options import add_engine_options, engine_config, print_fit_summary
from foveal.cli.groups import group

# the defaults live in foveal.tasks.segment.train (default_config); repeated here so that the
# command line stays cheap to build (no torch import), checked equal by the tests
DEFAULT_LR = 1e-3
DEFAULT_EPOCHS = 12
DEFAULT_CROPS_PER_EPOCH = 512


def register(sub: argparse._SubParsersAction) -> None:
    train = group(sub, "train", "train or fine-tune a model on your data")
    p = train.add_parser(
        "segment",
        help="train a U-Net segmenter on DATA/images + DATA/masks (same names)",
        description="Train a U-Net (pretrained MobileNetV2 encoder by default) on DATA/images and "
        "DATA/masks (PNG: 0/255 binary, class ids 0..63, or palette). Random crops with flips, "
        "turns, elastic deformation and brightness jitter; --epochs x --crops-per-epoch crops "
        "in all, whatever the number of images (defaults: 12 x 512 = 6,144 crops, 768 steps). "
        "The last epoch's model is kept. The run folder gets model.onnx, "
        "usable with 'foveal segment IMAGES --model RUN_DIR --out DIR'.",
        epilog="example: foveal train segment membrane/ --epochs 8",
    )
    p.add_argument("data", help="folder with images/ and masks/")
    p.add_argument(
        "--encoder",
        choices=("mobilenet_v2", "efficientnet_lite0", "classic"),
        default="mobilenet_v2",
        help="U-Net encoder: a pretrained backbone or the classic from-scratch one",
    )
    p.add_argument("--scratch", action="store_true", help="no pretrained encoder weights")
    p.add_argument("--val-data", help="a second folder (images/, masks/) for validation")
    p.add_argument(
        "--val-fraction",
        type=float,
        default=0.25,
        help="without --val-data: this fraction of the sorted names, evenly spaced, is held out",
    )
    p.add_argument("--crop", type=int, default=256, help="training crop side (multiple of 32)")
    p.add_argument(
        "--crops-per-epoch",
        type=int,
        default=DEFAULT_CROPS_PER_EPOCH,
        help="random crops per epoch, whatever the number of images (default %(default)s)",
    )
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument(
        "--loss", choices=("ce_dice", "bce_dice", "ce", "dice", "focal"), default="ce_dice"
    )
    p.add_argument("--elastic", type=float, default=0.5, help="elastic deformation probability")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_engine_options(p, epochs=DEFAULT_EPOCHS)
    p.add_argument(
        "--no-amp",
        dest="amp",
        action="store_false",
        help="float32 throughout (default: bf16 autocast where the CPU has native bf16, "
        "about 2x faster)",
    )
    p.set_defaults(func=run, amp=None)


def run(args: argparse.Namespace) -> int:
    from foveal.tasks.segment.train import SegmentationRecipe, SegmentTrainOptions
    from foveal.train import Trainer
    from foveal.train.hardware import native_bf16

    opts = SegmentTrainOptions(
        data=args.data,
        encoder=args.encoder,
        pretrained=not args.scratch,
        val_data=args.val_data,
        val_fraction=args.val_fraction,
        crop=args.crop,
        crops_per_epoch=args.crops_per_epoch,
        batch_size=args.batch_size,
        loss=args.loss,
        elastic=args.elastic,
        seed=args.seed,
    )
    opts.validate()
    if args.amp is None:  # neither --amp nor --no-amp
        args.amp = native_bf16()
    cfg = engine_config(args, DEFAULT_LR)
    result = Trainer(SegmentationRecipe(opts), cfg).fit()  # type: ignore[arg-type]
    f = result.final
    print_fit_summary(
        result,
        args,
        scores=f"val mIoU {f['miou']:.4f}, pixel error {f['pixel_error']:.4f}",
        files="model.onnx, metrics.csv, loss.png",
        use="foveal segment IMAGES --model {run_dir} --out masks/",
    )
    return 0
