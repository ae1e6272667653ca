"""Model reuse, measured: fine-tune ImageNet-pretrained MobileNetV2 on Fashion-MNIST vs the same
network trained from scratch on the same budget (same images, epochs, schedule), on this CPU.

Data: the Debian package ``dataset-fashion-mnist`` (60k train / 10k test), written as an ImageFolder
with ``foveal data fashion-mnist``. Test accuracy is measured on the full 10k test set with the
exported ONNX model (``foveal eval classify``).

    # defaults: ~12-15 min on 2 idle cores
    nice -n 10 python bench/train_fashion_mnist.py
    # a quick look
    python bench/train_fashion_mnist.py --per-class 200 --epochs 1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--data",
        default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "foveal-bench", "fashion-mnist"),
    )
    ap.add_argument(
        "--out", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "foveal-bench", "runs")
    )
    ap.add_argument(
        "--size", type=int, default=32, help="input side in pixels (28x28 images are upscaled)"
    )
    ap.add_argument(
        "--per-class", type=int, default=2000, help="training images per class (6000 = all)"
    )
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3, help="fine-tuning learning rate")
    ap.add_argument("--scratch-lr", type=float, default=3e-3, help="from-scratch learning rate")
    ap.add_argument("--augment", default="none")
    ap.add_argument(
        "--threads",
        type=int,
        default=None,
        help="default: 1 when the machine is busy, else all CPUs",
    )
    ap.add_argument("--only", choices=("finetune", "scratch"), help="run one side only")
    args = ap.parse_args()

    os.environ.setdefault("FOVEAL_OFFLINE", "1")
    from foveal.data.fashion_mnist import to_imagefolder
    from foveal.evaluate.classification import evaluate_classifier
    from foveal.tasks.classify.train import ClassificationRecipe, ClassifyOptions
    from foveal.train import TrainConfig, Trainer

    cpus = len(os.sched_getaffinity(0))
    threads = args.threads or (1 if os.getloadavg()[0] > cpus else cpus)
    data = Path(args.data)
    if (
        not (data / "test" / "Bag").is_dir()
        or sum(1 for _ in (data / "test").rglob("*.png")) < 10000
    ):
        t = time.perf_counter()
        to_imagefolder(data)
        print(
            f"wrote the Fashion-MNIST ImageFolder to {data} in {time.perf_counter() - t:.0f}s",
            flush=True,
        )
    sides = [s for s in ("finetune", "scratch") if args.only in (None, s)]
    stamp = time.strftime("%Y%m%d-%H%M%S")
    results = {}
    for side in sides:
        run_dir = Path(args.out) / f"{stamp}-{side}"
        opts = ClassifyOptions(
            str(data),
            model="mobilenet_v2.imagenet",
            pretrained=side == "finetune",
            mode="finetune",
            input_size=args.size,
            resize=args.size,
            augment=args.augment,
            batch_size=args.batch_size,
            val_fraction=0.02,
            limit_per_class=args.per_class,
            seed=0,
        )
        cfg = TrainConfig(
            epochs=args.epochs,
            lr=args.lr if side == "finetune" else args.scratch_lr,
            weight_decay=0.05,
            warmup_epochs=min(0.3, args.epochs),
            seed=0,
            run_dir=str(run_dir),
            threads=threads,
            progress=False,
        )
        t0 = time.perf_counter()
        fit = Trainer(ClassificationRecipe(opts), cfg).fit()
        train_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        rep = evaluate_classifier(run_dir, data, split="test", out_dir=run_dir / "test")
        results[side] = {
            "test_top1": rep["top1"],
            "test_images": rep["images"],
            "val_top1": fit.best_metric,
            "train_wall_s": train_s,
            "test_wall_s": time.perf_counter() - t1,
            "run_dir": str(run_dir),
        }
        print(
            f"{side}: test top-1 {rep['top1']:.4f} on {rep['images']} images, training "
            f"{train_s:.0f}s",
            flush=True,
        )

    print()
    print(
        f"Fashion-MNIST, MobileNetV2 at {args.size}x{args.size}px, {args.per_class} train "
        f"images/class ({args.per_class * 10}), {args.epochs} epoch(s), batch {args.batch_size}, "
        f"{threads} thread(s), augment={args.augment}"
    )
    print(f"{'':<22}{'test top-1':>12}{'train wall':>12}{'eval wall':>11}")
    for side, r in results.items():
        name = "pretrained fine-tune" if side == "finetune" else "from scratch"
        print(
            f"{name:<22}{r['test_top1']:>12.4f}{r['train_wall_s']:>11.0f}s{r['test_wall_s']:>10.0f}s"
        )
    if len(results) == 2:
        gain = results["finetune"]["test_top1"] - results["scratch"]["test_top1"]
        print(f"model reuse gain: {gain * 100:+.2f} points of test accuracy on the same budget")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
