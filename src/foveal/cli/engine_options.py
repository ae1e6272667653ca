"""Options of the one training engine (:class:`foveal.train.TrainConfig`), shared by every
``foveal train`` action, their translation into a ``TrainConfig``, and the summary printed after a
run."""

from __future__ import annotations

import argparse


def add_engine_options(p: argparse.ArgumentParser, *, epochs: int = 10) -> None:
    """The options of :class:`foveal.train.TrainConfig` (shared by every ``foveal train``
    action)."""
    g = p.add_argument_group("training engine")
    g.add_argument("--epochs", type=int, default=epochs, help="(default %(default)s)")
    g.add_argument("--lr", type=float, help="peak learning rate (default depends on the task/mode)")
    g.add_argument("--weight-decay", type=float, default=0.05, help="(default %(default)s)")
    g.add_argument("--optimizer", choices=("adamw", "sgd"), default="adamw")
    g.add_argument("--momentum", type=float, default=0.9, help="SGD momentum")
    g.add_argument("--schedule", choices=("cosine", "onecycle", "constant"), default="cosine")
    g.add_argument("--warmup", type=float, default=1.0, help="warm-up epochs (default %(default)s)")
    g.add_argument(
        "--grad-clip",
        type=float,
        default=0.0,
        help="clip the gradient norm (0 = off; default %(default)s)",
    )
    g.add_argument("--amp", action="store_true", help="bf16 mixed precision (autocast)")
    g.add_argument(
        "--patience", type=int, default=0, help="early stopping patience in epochs (0 = off)"
    )
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--run-dir", help="run folder (default runs/<task>/<n>)")
    g.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --run-dir from its last checkpoint",
    )
    g.add_argument("--init-from", help="start from the weights of a run folder or checkpoint")
    g.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu")
    g.add_argument("--threads", type=int, help="CPU threads per process")
    g.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def check_run_dir(args: argparse.Namespace) -> None:
    """Before any data is read: the run folder can be written, and a run to resume has a readable
    ``config.json``."""
    from pathlib import Path

    from foveal.cli.output import check_writable_dir
    from foveal.train.config import read_run_config

    if not args.run_dir:
        check_writable_dir("runs", option="the default run folder")
        return
    run_dir = check_writable_dir(args.run_dir, option="--run-dir")
    saved = run_dir / "config.json"
    if args.resume and (run_dir / "checkpoints" / "last.pt").is_file() and Path(saved).exists():
        read_run_config(saved)


def engine_config(args: argparse.Namespace, lr: float) -> object:
    """The :class:`~foveal.train.TrainConfig` of the options, once :func:`check_run_dir` passed."""
    from foveal.train import TrainConfig

    check_run_dir(args)
    return TrainConfig(
        epochs=args.epochs,
        lr=args.lr if args.lr is not None else lr,
        weight_decay=args.weight_decay,
        optimizer=args.optimizer,
        momentum=args.momentum,
        schedule=args.schedule,
        warmup_epochs=min(args.warmup, args.epochs),
        grad_clip=args.grad_clip,
        amp=args.amp,
        patience=args.patience,
        seed=args.seed,
        run_dir=args.run_dir,
        resume=args.resume,
        progress=not args.no_progress,
        device=args.device,
        threads=args.threads,
        init_from=args.init_from,
    )


def print_fit_summary(
    result: object, args: argparse.Namespace, *, scores: str, files: str, use: str
) -> None:
    """After ``Trainer.fit``: the result as JSON (``--json``) or three lines (best epoch and its
    ``scores``, the run folder with its ``files``, the command to ``use`` it); only on rank 0 under
    DDP."""
    import json
    import os

    if os.environ.get("RANK", "0") != "0":
        return
    if args.json:
        print(json.dumps(result.to_dict()))  # type: ignore[attr-defined]
        return
    print(f"best epoch {result.best_epoch}/{result.epochs_run}: {scores}")  # type: ignore[attr-defined]
    print(f"run folder: {result.run_dir} ({files})")  # type: ignore[attr-defined]
    print(f"use it:     {use.format(run_dir=result.run_dir)}")  # type: ignore[attr-defined]
