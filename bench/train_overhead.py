"""Engine overhead: training images/s of foveal's Trainer vs a plain hand-written PyTorch loop on the
same model (MobileNetV2, pretrained, new 10-class head), the same data (Fashion-MNIST images through the
same ImageFolder dataset, transforms and DataLoader), the same optimiser (AdamW) and batch size.

The Trainer side is the whole ``fit()`` (seeding, schedule, progress bar, metric logging, per-epoch
evaluation of a 10-image validation folder, atomic checkpoints, metrics.csv and plots; the ONNX export
at the end is left out, it is a one-off). Runs alternate (loop, trainer, loop, trainer ...) and the best
of each is kept, so load from other processes on a shared machine hurts both sides alike.

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
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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

    from foveal.tasks.classification_train import ClassificationRecipe, ClassifyOptions
    from foveal.train import TrainConfig, Trainer

    class NoExport(ClassificationRecipe):
        def export(self, model, run_dir):  # type: ignore[override]
            return run_dir / "skipped.onnx"

    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="foveal-overhead-"))
    make_data(work / "data", args.per_class)
    opts = ClassifyOptions(str(work / "data"), input_size=args.size, resize=args.size, augment="light",
                           batch_size=args.batch_size, precise_bn="no", seed=0)
    recipe = NoExport(opts)
    n_images = len(recipe.train_samples) // args.batch_size * args.batch_size * args.epochs  # drop_last

    def plain_loop() -> float:
        torch.manual_seed(0)
        model = recipe.build_model()
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3, weight_decay=0.05)
        loader = recipe.train_loader()
        t = time.perf_counter()
        for _ in range(args.epochs):
            model.train()
            for x, y in loader:
                loss = F.cross_entropy(model(x), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        return n_images / (time.perf_counter() - t)

    def trainer(i: int) -> tuple[float, float]:
        from foveal.train.runlog import read_metrics_csv

        cfg = TrainConfig(epochs=args.epochs, lr=1e-3, warmup_epochs=0.5, run_dir=str(work / f"run{i}"),
                          threads=args.threads, progress=True)
        t = time.perf_counter()
        Trainer(recipe, cfg).fit()
        whole = n_images / (time.perf_counter() - t)
        rows = read_metrics_csv(work / f"run{i}" / "metrics.csv")
        loop = n_images / sum(r["epoch_time_s"] for r in rows)  # epochs incl. eval, checkpoints, plots
        return loop, whole

    loop_ips, epoch_ips, fit_ips = [], [], []
    for i in range(args.rounds):
        loop_ips.append(plain_loop())
        e, f = trainer(i)
        epoch_ips.append(e)
        fit_ips.append(f)
        print(f"round {i + 1}: plain loop {loop_ips[-1]:.1f} img/s, Trainer epochs {e:.1f} img/s, "
              f"whole fit() {f:.1f} img/s", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    best_loop, best_ep, best_fit = max(loop_ips), max(epoch_ips), max(fit_ips)
    print()
    print(f"MobileNetV2 {args.size}px, batch {args.batch_size}, {n_images // args.epochs} images x {args.epochs} "
          f"epochs, {args.threads} thread(s), best of {args.rounds}")
    print(f"{'':<58}{'images/s':>10}{'ratio':>8}")
    print(f"{'plain PyTorch loop':<58}{best_loop:>10.1f}{1:>8.3f}")
    print(f"{'foveal Trainer, epochs (+ eval, checkpoints, csv, plots)':<58}{best_ep:>10.1f}{best_ep / best_loop:>8.3f}")
    print(f"{'foveal Trainer, whole fit() (+ model build, final report)':<58}{best_fit:>10.1f}{best_fit / best_loop:>8.3f}")
    print(f"ratio Trainer epochs / plain loop: {best_ep / best_loop:.3f} (target >= 0.9)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
