"""Engine overhead: training images/s of foveal's Trainer vs a plain hand-written PyTorch loop on
the same model (MobileNetV2, pretrained, new 10-class head), the same data (Fashion-MNIST images
through the same ImageFolder dataset, transforms and DataLoader), the same optimiser (AdamW) and
batch size.

The Trainer side is the whole ``fit()`` (seeding, schedule, progress bar, metric logging, per-epoch
evaluation of a 10-image validation folder, atomic checkpoints, metrics.csv and plots; the ONNX
export at the end is left out, it is a one-off). Runs alternate (loop, trainer, loop, trainer ...)
and the best of each is kept. On a shared machine wall-clock rates swing with other people's load,
so the rates are also given per second of this process's CPU time (``time.process_time``; one
thread, no DataLoader workers, so on an idle machine both agree).

    nice -n 10 python bench/train_overhead.py            # about 5-8 minutes
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def make_data(root: Path, per_class: int) -> None:
    from foveal.data.fashion_mnist import to_imagefolder

    to_imagefolder(root, limit_per_class=per_class, splits=("train",))
    to_imagefolder(root / "_t", limit_per_class=1, splits=("test",))
    (root / "_t" / "test").rename(root / "val")
    shutil.rmtree(root / "_t")


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--per-class", type=int, default=64, help="training images per class")
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    os.environ.setdefault("FOVEAL_OFFLINE", "1")
    import torch
    from torch.nn import functional as F

    from foveal.tasks.classify.train import ClassificationRecipe, ClassifyOptions
    from foveal.train import TrainConfig, Trainer

    class NoExport(ClassificationRecipe):
        def export(self, model, run_dir):  # type: ignore[override]
            return run_dir / "skipped.onnx"

    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="foveal-overhead-"))
    make_data(work / "data", args.per_class)
    opts = ClassifyOptions(
        str(work / "data"),
        input_size=args.size,
        resize=args.size,
        augment="light",
        batch_size=args.batch_size,
        precise_bn="no",
        seed=0,
    )
    recipe = NoExport(opts)
    n_images = (
        len(recipe.train_samples) // args.batch_size * args.batch_size * args.epochs
    )  # drop_last

    import matplotlib.figure  # noqa: F401 - a one-off import, not engine overhead

    def plain_loop() -> tuple[float, float]:
        torch.manual_seed(0)
        model = recipe.build_model()
        opt = torch.optim.AdamW(
            [p for p in model.parameters() if p.requires_grad], lr=1e-3, weight_decay=0.05
        )
        loader = recipe.train_loader()
        t, c = time.perf_counter(), time.process_time()
        for _ in range(args.epochs):
            model.train()
            for x, y in loader:
                loss = F.cross_entropy(model(x), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        return n_images / (time.perf_counter() - t), n_images / (time.process_time() - c)

    def trainer(i: int) -> tuple[float, float]:
        cfg = TrainConfig(
            epochs=args.epochs,
            lr=1e-3,
            warmup_epochs=0.5,
            run_dir=str(work / f"run{i}"),
            threads=args.threads,
            progress=True,
        )
        t, c = time.perf_counter(), time.process_time()
        Trainer(recipe, cfg).fit()
        return n_images / (time.perf_counter() - t), n_images / (time.process_time() - c)

    loop_w, loop_c, tr_w, tr_c = [], [], [], []
    for i in range(args.rounds):
        w, c = plain_loop()
        loop_w.append(w)
        loop_c.append(c)
        w, c = trainer(i)
        tr_w.append(w)
        tr_c.append(c)
        print(
            f"round {i + 1}: plain loop {loop_w[-1]:.1f} img/s ({loop_c[-1]:.1f} per CPU-s), "
            f"Trainer.fit() {tr_w[-1]:.1f} img/s ({tr_c[-1]:.1f} per CPU-s)",
            flush=True,
        )
    shutil.rmtree(work, ignore_errors=True)
    print()
    print(
        f"MobileNetV2 {args.size}px, batch {args.batch_size}, {n_images // args.epochs} images x "
        f"{args.epochs} epochs, {args.threads} thread(s), best of {args.rounds}; Trainer = whole "
        "fit() "
        "(per-epoch evaluation, checkpoints, csv, plots, final report; no ONNX export)"
    )
    print(f"{'':<22}{'img/s (wall)':>14}{'img per CPU-s':>15}")
    print(f"{'plain PyTorch loop':<22}{max(loop_w):>14.1f}{max(loop_c):>15.1f}")
    print(f"{'foveal Trainer':<22}{max(tr_w):>14.1f}{max(tr_c):>15.1f}")
    print(
        f"{'ratio':<22}{max(tr_w) / max(loop_w):>14.3f}{max(tr_c) / max(loop_c):>15.3f}"
        "   (target >= 0.9)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
