"""foveal train classify DATA_DIR — fine-tune a pretrained classifier on an ImageFolder
dataset."""

from __future__ import annotations

import argparse

from foveal.cli.engine_options import add_engine_options, engine_config, print_fit_summary
from foveal.cli.groups import group

DEFAULT_LR = {"linear": 1e-2, "finetune": 1e-3, "discriminative": 2e-3}


def register(sub: argparse._SubParsersAction) -> None:
    train = group(sub, "train", "train or fine-tune a model on your data")
    p = train.add_parser(
        "classify",
        help="fine-tune an image classifier on an ImageFolder (class/*.jpg)",
        description="Fine-tune a pretrained zoo classifier on DATA_DIR/<class>/*.jpg (or "
        "DATA_DIR/train|val/<class>). The run folder gets model.onnx, usable with "
        "'foveal classify --model RUN_DIR'. Run the same command under "
        "'torchrun --nproc_per_node N -m foveal ...' for data parallel training.",
        epilog="example: foveal train classify flowers/ --model mobilenet_v2.imagenet --epochs 5",
    )
    p.add_argument("data", help="ImageFolder root")
    p.add_argument("--model", default="mobilenet_v2.imagenet", help="zoo classifier to start from")
    p.add_argument(
        "--scratch",
        action="store_true",
        help="random initialisation instead of the pretrained weights",
    )
    p.add_argument(
        "--mode",
        choices=("finetune", "linear", "discriminative"),
        default="finetune",
        help="finetune: all layers; linear: frozen backbone; discriminative: lower LR "
        "for earlier layers",
    )
    p.add_argument(
        "--lr-decay", type=float, default=0.5, help="LR factor per backbone group (discriminative)"
    )
    p.add_argument(
        "--num-classes", type=int, help="expected number of classes (checked against the folders)"
    )
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--input-size", type=int, help="square input side (default: the model's, 224)")
    p.add_argument(
        "--resize", type=int, help="shorter side before the centre crop (default input*256/224)"
    )
    p.add_argument("--augment", choices=("none", "light", "standard", "strong"), default="standard")
    p.add_argument("--no-hflip", action="store_true", help="no horizontal flips (text, digits ...)")
    p.add_argument(
        "--balance",
        choices=("none", "weights", "sampler"),
        default="none",
        help="class imbalance: weighted loss or a class-balanced sampler",
    )
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument(
        "--val-fraction", type=float, default=0.2, help="held out per class when there is no val/"
    )
    p.add_argument("--limit-per-class", type=int, help="use at most N training images per class")
    p.add_argument("--workers", type=int, default=0, help="data loading processes")
    p.add_argument(
        "--cache",
        choices=("auto", "yes", "no"),
        default="auto",
        help="keep decoded images in memory",
    )
    p.add_argument(
        "--no-channels-last",
        action="store_true",
        help="keep weights in the default memory order (channels-last is faster on CPU)",
    )
    p.add_argument(
        "--skip-bad", action="store_true", help="leave unreadable images out instead of stopping"
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_engine_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from foveal.tasks.classify.train import ClassificationRecipe, ClassifyOptions
    from foveal.train import Trainer

    opts = ClassifyOptions(
        data=args.data,
        model=args.model,
        pretrained=not args.scratch,
        mode=args.mode,
        lr_decay=args.lr_decay,
        input_size=args.input_size,
        resize=args.resize,
        augment=args.augment,
        hflip=not args.no_hflip,
        balance=args.balance,
        label_smoothing=args.label_smoothing,
        batch_size=args.batch_size,
        val_fraction=args.val_fraction,
        num_classes=args.num_classes,
        limit_per_class=args.limit_per_class,
        workers=args.workers,
        cache=args.cache,
        skip_bad=args.skip_bad,
        seed=args.seed,
        channels_last=not args.no_channels_last,
    )
    opts.validate()
    cfg = engine_config(args, DEFAULT_LR[args.mode])
    result = Trainer(ClassificationRecipe(opts), cfg).fit()  # type: ignore[arg-type]
    f = result.final
    print_fit_summary(
        result,
        args,
        scores=f"val accuracy {f['accuracy']:.4f}, top-5 {f['top5']:.4f}",
        files="model.onnx, metrics.csv, loss.png, val_confusion_matrix.png",
        use="foveal classify --model {run_dir} IMAGE",
    )
    return 0
