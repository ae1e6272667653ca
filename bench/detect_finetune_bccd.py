"""Fine-tune yolox_nano.coco on BCCD (blood cells: RBC, WBC, Platelets) on this CPU and report test
mAP.

Trains on the ``train`` split (205 images) with foveal's training engine (``foveal.train.Trainer``,
the same path as ``foveal train detect``), selects the best epoch on the ``val`` split, then
evaluates that model on the ``test`` split (72 images) with COCO mAP (pycocotools). Targets: mAP@.5
>= 0.85 and mAP@[.5:.95] >= 0.55. Prints wall time.

    python bench/detect_finetune_bccd.py [--epochs 10] [--input-size 416] [--batch-size 8] \
        [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FOVEAL_SHARED", ROOT.parent / "shared")).resolve()
os.environ.setdefault("FOVEAL_WEIGHTS_PATH", str(SHARED / "weights"))
os.environ.setdefault("FOVEAL_OFFLINE", "1")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--input-size", type=int, default=416)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--run-dir", default=None)
    args = parser.parse_args()

    from foveal.data.detection import load_detection
    from foveal.tasks.detect import Detector
    from foveal.tasks.detect.evaluate import evaluate_detector
    from foveal.tasks.detect.train import DetectionRecipe, train_detector
    from foveal.train import TrainConfig

    t0 = time.perf_counter()
    ds = load_detection(SHARED / "data" / "detection" / "bccd" / "BCCD")
    train, val, test = ds.subset("train"), ds.subset("val"), ds.subset("test")
    print(f"# BCCD: {ds.summary()}")
    recipe = DetectionRecipe(
        train.images,
        val.images,
        ds.classes,
        model="yolox_nano.coco",
        input_size=args.input_size,
        batch_size=args.batch_size,
    )
    run_dir = args.run_dir or tempfile.mkdtemp(prefix="bccd-yolox-")
    cfg = TrainConfig(
        epochs=args.epochs,
        lr=args.lr,
        weight_decay=5e-4,
        warmup_epochs=min(1.0, args.epochs),
        run_dir=run_dir,
        progress=False,
        threads=args.threads,
        seed=0,
    )
    result = train_detector(recipe, cfg)
    t_train = time.perf_counter() - t0

    # test-split evaluation of the exported best model (ONNX Runtime, what users run)
    det = Detector(run_dir)
    ev = evaluate_detector(det, test.images, ds.classes, conf=0.001, iou=0.65, max_dets=100)
    scores = {"map50": ev.map50, "map50_95": ev.map}
    wall = time.perf_counter() - t0
    print(f"best epoch {result.best_epoch}/{result.epochs_run}, val: {result.final}")
    print(
        f"test split ({len(test.images)} images): mAP@.5 = {scores['map50']:.3f} (target 0.85), "
        f"mAP@[.5:.95] = {scores['map50_95']:.3f} (target 0.55)"
    )
    print(
        f"wall time: training {t_train / 60:.1f} min, total {wall / 60:.1f} min on "
        f"{os.cpu_count()} CPUs, {args.threads} torch thread(s), {args.epochs} epochs at "
        f"{args.input_size}px, batch {args.batch_size}"
    )
    print(
        "verdict:", "MET" if scores["map50"] >= 0.85 and scores["map50_95"] >= 0.55 else "NOT MET"
    )
    print(f"run folder: {run_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
