"""foveal train restore FOLDER — train a restoration network (denoising, artifact removal)."""

from __future__ import annotations

import argparse

from foveal.cli.engine_options import add_engine_options, engine_config, print_fit_summary
from foveal.cli.groups import group


def register(sub: argparse._SubParsersAction) -> None:
    train = group(sub, "train", "train or fine-tune a model on your data")
    p = train.add_parser(
        "restore",
        help="train an image restoration network on a folder of images",
        description="Train a small residual U-Net on random crops of FOLDER's images. "
        "Supervised: the images are clean and --degrade applies degradations on the fly "
        "(gaussian[:SIGMA or LOW-HIGH], jpeg[:Q], blur[:SIGMA], stripes[:S], rings[:S]: CT-like "
        "column offsets and rings around the centre). --self-supervised: Noise2Self masking, "
        "no clean images needed (FOLDER holds noisy images; leave out --degrade). The run "
        "folder gets model.onnx, usable with 'foveal restore --model RUN_DIR'.",
        epilog="example: foveal train restore photos/ --degrade gaussian:25,jpeg:20 --epochs 20",
    )
    p.add_argument("data", help="folder of images (searched recursively)")
    p.add_argument(
        "--degrade",
        help="degradations applied on the fly, e.g. gaussian:25,jpeg:20,blur,stripes,rings "
        "(default gaussian:25 when supervised; none when --self-supervised)",
    )
    p.add_argument(
        "--self-supervised",
        action="store_true",
        help="Noise2Self masking: learn from noisy images alone",
    )
    p.add_argument("--grey", action="store_true", help="grey model (1 channel) instead of colour")
    p.add_argument("--width", type=int, default=48, help="network width (default 48)")
    p.add_argument("--crop", type=int, default=64, help="training crop side (default 64)")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--steps-per-epoch", type=int, default=100, help="batches per epoch")
    p.add_argument("--val-fraction", type=float, default=0.1, help="images held out")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_engine_options(p, epochs=10)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from foveal.tasks.restore.train import RestoreTrainOptions, train_restorer

    degrade = args.degrade or (None if args.self_supervised else "gaussian:25")
    opts = RestoreTrainOptions(
        data=args.data,
        degrade=degrade,
        self_supervised=args.self_supervised,
        channels=1 if args.grey else 3,
        width=args.width,
        crop=args.crop,
        batch_size=args.batch_size,
        steps_per_epoch=args.steps_per_epoch,
        val_fraction=args.val_fraction,
        seed=args.seed,
    )
    opts.validate()
    cfg = engine_config(args, 2e-3)
    result = train_restorer(opts, cfg)
    f = result.final
    scores = (
        f"val PSNR {f['psnr']:.2f} dB (input {f['psnr_input']:.2f})"
        if "psnr" in f
        else f"val masked MSE {f['masked_mse']:.5f}"
    )
    print_fit_summary(
        result,
        args,
        scores=scores,
        files="model.onnx, metrics.csv, loss.png",
        use="foveal restore --model {run_dir} IMAGES --out DIR",
    )
    return 0
