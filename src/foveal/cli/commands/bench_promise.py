"""foveal bench promise — learned vs hand-crafted methods on the same data (table + PNG chart)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from foveal.cli.groups import group

    actions = group(sub, "bench", "benchmarks")
    p = actions.add_parser(
        "promise",
        help="deep vs classical: classification, face detection, OCR, face recognition (table + "
        "chart)",
        description=(
            "Run learned and hand-crafted methods on the same data and splits with a fixed seed: "
            "linear classifiers on HOG / SIFT-BoVW / LBP / Gabor vs CNN embeddings vs a "
            "fine-tuned CNN "
            "(Fashion-MNIST, digits); Haar / dlib HOG vs CNN face detectors; Tesseract vs deep "
            "OCR; "
            "LBPH / Eigenfaces vs face embeddings. Missing optional methods are skipped with a "
            "note."
        ),
        epilog="example: foveal bench promise --out promise/",
    )
    p.add_argument(
        "--out",
        default="promise",
        help="folder for promise.png and promise.json (default ./promise)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--tasks",
        default=",".join(_tasks()),
        help=f"comma-separated subset of {','.join(_tasks())}",
    )
    p.add_argument(
        "--datasets",
        default="fashion-mnist,digits,ants-bees",
        help="classification data sets (comma-separated subset of the default "
        "fashion-mnist,digits,ants-bees)",
    )
    p.add_argument(
        "--fashion-train",
        type=int,
        default=2000,
        help="Fashion-MNIST training images (default 2000)",
    )
    p.add_argument(
        "--fashion-test", type=int, default=1000, help="Fashion-MNIST test images (default 1000)"
    )
    p.add_argument(
        "--cnn-input", type=int, default=64, help="CNN input side for 28x28 images (default 64)"
    )
    p.add_argument("--finetune-epochs", type=int, default=3, help="fine-tuning epochs (default 3)")
    p.add_argument(
        "--sequence-epochs", type=int, default=25, help="gesture sequence models (default 25)"
    )
    p.add_argument(
        "--shared", default=None, help="the shared data folder (default ../shared or FOVEAL_SHARED)"
    )
    p.set_defaults(func=run)


def _tasks() -> tuple[str, ...]:
    from foveal.bench.promise.core import TASKS

    return TASKS


def run(args: argparse.Namespace) -> int:
    import os
    import sys
    import time
    from pathlib import Path

    from foveal.bench.promise import TASKS, Settings, format_table, run, save
    from foveal.cli.output import check_writable_dir
    from foveal.errors import ConfigError

    check_writable_dir(args.out, option="--out")
    tasks = tuple(t.strip() for t in args.tasks.split(",") if t.strip())
    unknown = [t for t in tasks if t not in TASKS]
    if unknown or not tasks:
        raise ConfigError(f"--tasks {args.tasks!r}: choose from {', '.join(TASKS)}")
    datasets = tuple(d.strip() for d in args.datasets.split(",") if d.strip())
    known = ("fashion-mnist", "digits", "ants-bees")
    if not datasets or any(d not in known for d in datasets):
        raise ConfigError(f"--datasets {args.datasets!r}: choose from {', '.join(known)}")
    for name in (
        "fashion_train",
        "fashion_test",
        "cnn_input",
        "finetune_epochs",
        "sequence_epochs",
    ):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1")
    if args.fashion_train < 10 or args.fashion_test < 10:
        raise ConfigError(
            "--fashion-train and --fashion-test need at least 10 images (one per class)"
        )
    shared = Path(args.shared or os.environ.get("FOVEAL_SHARED") or "../shared")
    if any(t != "classification" for t in tasks) and not (shared / "data").is_dir():
        raise ConfigError(f"the shared data folder {shared} has no data/; pass --shared PATH")
    cfg = Settings(
        seed=args.seed,
        fashion_train=args.fashion_train,
        fashion_test=args.fashion_test,
        cnn_input=args.cnn_input,
        finetune_epochs=args.finetune_epochs,
        sequence_epochs=args.sequence_epochs,
        shared=shared,
        tasks=tasks,
        datasets=datasets,
        log=lambda msg: print(msg, file=sys.stderr, flush=True),
    )
    t = time.perf_counter()
    rows = run(cfg)
    elapsed = time.perf_counter() - t
    print(format_table(rows))
    png, js = save(rows, cfg, args.out, elapsed)
    skipped = sum(r.skipped for r in rows)
    print(
        f"\n{len(rows) - skipped} rows ran, {skipped} skipped; "
        f"total {elapsed / 60:.1f} min; chart {png}, numbers {js}"
    )
    return 0
