"""foveal train sequence DATA — an LSTM / GRU / TCN / MLP classifier over sequences of features."""

from __future__ import annotations

import argparse

from foveal.cli.engine_options import add_engine_options, engine_config, print_fit_summary
from foveal.cli.groups import group


def register(sub: argparse._SubParsersAction) -> None:
    train = group(sub, "train", "train or fine-tune a model on your data")
    p = train.add_parser(
        "sequence",
        help="train a sequence classifier (LSTM, GRU, TCN, MLP) on CSV rows or video clips",
        description="Train a classifier over sequences of per-step features: DATA is a CSV of "
        "flattened sequences 'label, v1, v2, ...' (--step-dims numbers per step), or a folder "
        "of clips DATA/<class>/clip.mp4 (--features: per-frame CNN features or landmarks). For "
        "each class the last --test-fraction of its rows (in file order) is held out as the "
        "test set and the last --val-fraction of the rest picks the best epoch: never a random "
        "split, since neighbouring rows are consecutive frames. Rows of the wrong width, with "
        "non-numeric cells or unknown labels are skipped with one line each. The run folder "
        "gets model.onnx, usable with 'foveal sequence predict --model RUN_DIR'.",
        epilog="example: foveal train sequence point_history.csv --step-dims 2 "
        "--labels point_history_labels.csv --arch gru --augment rotate --epochs 30",
    )
    p.add_argument("data", help="CSV of rows 'label, v1, v2, ...' or a folder class/clip.mp4")
    p.add_argument("--step-dims", type=int, help="numbers per time step in the CSV (2 for x, y)")
    p.add_argument("--labels", help="class names, one per line (CSV labels may then be ids 0..K-1)")
    p.add_argument("--arch", choices=("lstm", "gru", "tcn", "mlp"), default="gru")
    p.add_argument("--hidden", type=int, default=64, help="hidden width (default %(default)s)")
    p.add_argument("--layers", type=int, default=2, help="layers (default %(default)s)")
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument(
        "--deltas", action="store_true", help="also feed each step's change from the previous one"
    )
    p.add_argument(
        "--augment",
        choices=("none", "rotate", "dropout", "rotate+dropout"),
        default="none",
        help="for 2-D point tracks: rotate = random rotation and scale of every (x, y) pair; "
        "dropout = simulated lost tracking (a run of steps jumps to the image origin)",
    )
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--test-fraction", type=float, default=0.15, help="held out per class (last)")
    p.add_argument(
        "--val-fraction", type=float, default=0.1, help="of the rest, picks the best epoch (last)"
    )
    p.add_argument(
        "--features",
        choices=("cnn", "hands", "pose", "holistic"),
        default="cnn",
        help="per-frame features of clips (default cnn: pooled features of --backbone)",
    )
    p.add_argument("--frames", type=int, default=16, help="frames sampled per clip (the window)")
    p.add_argument("--backbone", default="mobilenet_v2.imagenet", help="zoo CNN for --features cnn")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_engine_options(p, epochs=30)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from foveal.tasks.sequence.train import SequenceOptions, SequenceRecipe
    from foveal.train import Trainer

    opts = SequenceOptions(
        data=args.data,
        step_dims=args.step_dims,
        labels=args.labels,
        arch=args.arch,
        hidden=args.hidden,
        layers=args.layers,
        dropout=args.dropout,
        deltas=args.deltas,
        augment=args.augment,
        batch_size=args.batch_size,
        test_fraction=args.test_fraction,
        val_fraction=args.val_fraction,
        features=args.features,
        frames=args.frames,
        backbone=args.backbone,
    )
    opts.validate()
    if args.threads is None:
        args.threads = 1  # models of a few thousand weights: more threads only contend
    cfg = engine_config(args, 3e-3)
    result = Trainer(SequenceRecipe(opts), cfg).fit()  # type: ignore[arg-type]
    print_fit_summary(
        result,
        args,
        scores=f"val accuracy {result.final['accuracy']:.4f}, "
        f"test accuracy {result.extra['test_accuracy']:.4f} "
        f"({result.extra['test_rows']} held-out rows)",
        files="model.onnx, metrics.csv, loss.png, test_confusion_matrix.png",
        use="foveal sequence predict DATA --model {run_dir} --json",
    )
    return 0
