"""foveal train classify DATA_DIR — fine-tune a pretrained classifier on an ImageFolder
dataset."""

from __future__ import annotations

import argparse

from foveal.cli.engine_options import add_engine_options, engine_config, print_fit_summary
from foveal.cli.groups import group


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
        choices=("auto", "linear", "finetune", "discriminative"),
        default="auto",
        help="auto (default): linear for up to --auto-linear-max training images, else finetune; "
        "linear: frozen backbone, features computed once; finetune: all layers; "
        "discriminative: lower LR for earlier layers",
    )
    p.add_argument(
        "--auto-linear-max",
        type=int,
        default=2000,
        help="largest training set for which --mode auto trains a linear probe (default 2000)",
    )
    p.add_argument(
        "--cv",
        type=int,
        metavar="K",
        help="k-fold cross-validation on all images: K models, mean and spread of the accuracy",
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
    p.add_argument(
        "--augment",
        choices=("auto", "none", "light", "standard", "strong"),
        default="auto",
        help="auto: standard (linear probe: centre crop + mirror views), flips off when class "
        "names look like characters; see docs/training.md",
    )
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
    from foveal.tasks.classify.options import DEFAULT_LR
    from foveal.tasks.classify.train import ClassificationRecipe, ClassifyOptions
    from foveal.train import Trainer

    opts = ClassifyOptions(
        data=args.data,
        model=args.model,
        pretrained=not args.scratch,
        mode=args.mode,
        auto_linear_max=args.auto_linear_max,
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
    if args.cv is not None:
        return run_cv(args, opts)
    recipe = ClassificationRecipe(opts)
    cfg = engine_config(args, DEFAULT_LR[recipe.train_mode])
    result = Trainer(recipe, cfg).fit()  # type: ignore[arg-type]
    if not args.json:  # with --json the summary's "recipe" and "recipe_reason" say it
        print(f"recipe: {recipe.train_mode} ({recipe.choice.reason})")
    f = result.final
    print_fit_summary(
        result,
        args,
        scores=f"val accuracy {f['accuracy']:.4f}, top-5 {f['top5']:.4f}",
        files="model.onnx, metrics.csv, loss.png, val_confusion_matrix.png",
        use="foveal classify --model {run_dir} IMAGE",
    )
    return 0


def run_cv(args: argparse.Namespace, opts: object) -> int:
    """``--cv K``: per-fold accuracy, mean and spread."""
    import json

    from foveal.tasks.classify.cv import cross_validate
    from foveal.tasks.classify.options import DEFAULT_LR

    if args.resume:
        from foveal.errors import ConfigError

        raise ConfigError("--resume does not apply to --cv; rerun the cross-validation")
    cfg = engine_config(args, DEFAULT_LR["finetune"])
    lr_for = None if args.lr is not None else DEFAULT_LR.get
    res = cross_validate(opts, cfg, args.cv, lr_for=lr_for)
    if args.json:
        print(json.dumps(res.to_dict()))
        return 0
    folds = ", ".join(f"{a:.4f}" for a in res.accuracies)
    print(
        f"{res.k}-fold cross-validation: accuracy {res.mean:.4f} +- {res.std:.4f} (folds {folds})"
    )
    print(f"recipe: {res.recipe} ({res.recipe_reason})")
    print(f"run folder: {res.run_dir} (cv.json, fold1 ... fold{res.k})")
    return 0
