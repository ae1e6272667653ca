"""foveal train faces DIR_PER_PERSON — fine-tune an ArcFace-style face embedder on the training engine."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from foveal.cli.groups import group

    tr = group(sub, "train", "train or fine-tune a model")
    p = tr.add_parser(
        "faces",
        help="fine-tune a face embedder (ArcFace or triplet loss) on a folder per person",
        epilog="example: foveal train faces people/ --epochs 10 --loss arcface; then "
        "foveal faces identify x.jpg --embedder runs/faces/1/face_embedder.onnx",
    )
    p.add_argument("data", help="folder with one sub-folder of photos per person")
    p.add_argument("--loss", choices=("arcface", "triplet"), default="arcface")
    p.add_argument("--dim", type=int, default=128, help="embedding size (default 128)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--no-pretrained", action="store_true", help="start from random weights")
    p.add_argument("--run-dir", help="run folder (default runs/faces/<n>)")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from foveal.errors import FovealError
    from foveal.tasks.faces.train import FaceRecipe

    try:
        from foveal.train import TrainConfig, Trainer
    except ImportError as exc:
        raise FovealError(
            f"the training engine foveal.train is not available in this installation ({exc}); "
            "it ships with foveal's training support"
        ) from exc
    recipe = FaceRecipe(
        args.data, loss=args.loss, dim=args.dim, batch_size=args.batch_size,
        pretrained=not args.no_pretrained, seed=args.seed,
    )
    if recipe.report.bad:
        print(recipe.report.summary())
    cfg = TrainConfig(epochs=args.epochs, lr=args.lr, seed=args.seed, run_dir=args.run_dir, resume=args.resume)
    result = Trainer(recipe, cfg).fit()
    print(result)
    return 0
