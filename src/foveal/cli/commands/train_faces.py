"""foveal train faces DIR_PER_PERSON — fine-tune an ArcFace-style face embedder on the training
engine."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from foveal.cli.engine_options import add_engine_options
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
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--no-pretrained", action="store_true", help="start from random weights")
    add_engine_options(p, epochs=10)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from foveal.cli.engine_options import engine_config
    from foveal.tasks import get_task
    from foveal.zoo import load_callable

    train = load_callable(get_task("faces").train)  # type: ignore[arg-type]
    result = train(
        args.data,
        engine_config(args, 1e-3),
        loss=args.loss,
        dim=args.dim,
        batch_size=args.batch_size,
        pretrained=not args.no_pretrained,
        seed=args.seed,
    )
    print(result)
    return 0
