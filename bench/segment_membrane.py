"""Membrane segmentation (ISBI 2012 slices): the U-Net of ``foveal train segment`` (defaults) vs
Otsu, Sauvola and watershed, on held-out slices, in one run.

The split is the default recipe's: of the 20 slices sorted by file name, 25 % evenly spaced are
held out (0.png, 13.png, 18.png, 4.png, 9.png) and never trained on; the classical methods see the
same 5 slices. Metrics: pixel error, Dice of the membrane (the dark class, mask value 0), mIoU,
seconds per 512x512 slice. The U-Net runs as ``foveal segment`` does (one pass per window) and
once more with test-time augmentation (``--tta``: the 8 flips and turns averaged). The run's
training wall time, its CPU time (all threads) and the machine's load are printed too.

    python bench/segment_membrane.py                       # trains with the defaults, then compares
    python bench/segment_membrane.py --run runs/segment/1  # compares an existing default run
    python bench/segment_membrane.py --tune --epochs 4     # tuning: never sees the 5 held out

``--tune`` is for choosing the recipe without touching the held-out slices: of the 15 training
slices it trains on 12 and compares on 3 (1.png, 17.png, 8.png: 20 % of the 15, evenly spaced),
with the default recipe or a shorter ``--epochs`` / another ``--lr``, ``--loss``, ``--crop`` or
``--crops-per-epoch``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "segmentation" / "membrane"


def otsu(gray: np.ndarray) -> np.ndarray:
    from skimage.filters import threshold_otsu

    return gray > threshold_otsu(gray)  # True = cell (bright)


def sauvola(gray: np.ndarray) -> np.ndarray:
    from skimage.filters import threshold_sauvola

    return gray > threshold_sauvola(gray, window_size=25, k=0.2)


def watershed(gray: np.ndarray) -> np.ndarray:
    """Marker watershed on the smoothed image: cell markers = bright pixels (above the 70th
    percentile) far from dark ones, membrane markers = the darkest 10 %; flooding the smoothed
    intensity; pixels of membrane basins are membrane."""
    from scipy import ndimage as ndi
    from skimage.filters import gaussian
    from skimage.segmentation import watershed as ws

    smooth = gaussian(gray.astype(np.float32) / 255.0, sigma=1.0)
    markers = np.zeros(gray.shape, np.int32)
    markers[smooth < np.quantile(smooth, 0.10)] = 1
    cells, _ = ndi.label(ndi.binary_erosion(smooth > np.quantile(smooth, 0.70), iterations=2))
    markers[cells > 0] = cells[cells > 0] + 1
    return ws(smooth.max() - smooth, markers) > 1


def scores(pred_cell: np.ndarray, truth_cell: np.ndarray) -> dict[str, float]:
    from foveal.evaluate.segmentation import confusion, segmentation_metrics

    cm = confusion(pred_cell.astype(np.uint8), truth_cell.astype(np.uint8), 2)
    m = segmentation_metrics(cm, ["membrane", "cell"])
    return {
        "pixel_error": m["pixel_error"],
        "membrane_dice": m["dice"]["membrane"],
        "miou": m["miou"],
    }


def tuning_split(data: Path, out: Path) -> tuple[Path, Path]:
    """Folders of symbolic links: the default split's training slices, less 20 % of them (evenly
    spaced) that make the tuning validation set."""
    from foveal.data.segmentation import find_pairs
    from foveal.tasks.segment.train import split_evenly

    pairs = find_pairs(data)
    held = set(split_evenly(len(pairs), 0.25))
    train = [p for i, p in enumerate(pairs) if i not in held]
    tune = set(split_evenly(len(train), 0.2))
    folders = (out / "tune-train", out / "tune-val")
    for i, (img, msk) in enumerate(train):
        root = folders[i in tune]
        for sub, f in (("images", img), ("masks", msk)):
            link = root / sub / f.name
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists():
                link.symlink_to(f.resolve())
    return folders


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DATA.resolve()))
    ap.add_argument("--run", help="an existing run folder of the default recipe (skip training)")
    ap.add_argument("--run-dir", default="runs/bench-segment-membrane")
    ap.add_argument("--threads", type=int, help="training threads (default: all CPUs)")
    ap.add_argument("--tune", action="store_true", help="12 training slices vs 3 (see above)")
    ap.add_argument("--epochs", type=int, help="a shorter schedule (tuning); default: the recipe's")
    ap.add_argument("--lr", type=float, help="another learning rate (tuning)")
    ap.add_argument("--loss", help="another loss (tuning): ce_dice (default), ce, dice, focal ...")
    ap.add_argument("--crop", type=int, help="another training crop side (tuning)")
    ap.add_argument("--crops-per-epoch", type=int, help="another epoch size (tuning)")
    ap.add_argument("--out", help="write the table as JSON here")
    args = ap.parse_args()

    import foveal
    from foveal.data.segmentation import read_mask
    from foveal.io import load_image

    load_before = os.getloadavg()
    run = Path(args.run) if args.run else None
    if run is None:
        from foveal.tasks.segment.train import (
            SegmentTrainOptions,
            default_config,
            train_segmenter,
        )

        run = Path(args.run_dir)
        changes = {k: v for k, v in (("epochs", args.epochs), ("lr", args.lr)) if v is not None}
        cfg = default_config(run_dir=str(run), progress=False, threads=args.threads, **changes)
        print(f"training with the defaults: {cfg.to_dict()}", flush=True)
        recipe_changes = {
            k: v
            for k, v in (
                ("loss", args.loss),
                ("crop", args.crop),
                ("crops_per_epoch", args.crops_per_epoch),
            )
            if v is not None
        }
        opts = SegmentTrainOptions(args.data, **recipe_changes)
        if args.tune:
            train_dir, val_dir = tuning_split(Path(args.data), run.parent / f"{run.name}-data")
            opts = SegmentTrainOptions(str(train_dir), val_data=str(val_dir), **recipe_changes)
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        train_segmenter(opts, cfg)
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu_s = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
        print(f"training CPU time (all threads): {cpu_s / 60:.1f} CPU-min", flush=True)
    summary = json.loads((run / "summary.json").read_text())
    config = json.loads((run / "config.json").read_text())
    recipe = config["recipe"]
    val = recipe["val_images"]
    samples = config["train"]["epochs"] * recipe["crops_per_epoch"]
    print(
        f"run {run}: trained {summary['epochs_run']} epochs ({samples} crops of "
        f"{recipe['crop']}, batch {recipe['batch_size']}, amp {config['train']['amp']}) in "
        f"{summary['wall_time_s'] / 60:.1f} min; load average at bench start "
        f"{load_before[0]:.1f} (1 min) on {os.cpu_count()} CPUs"
    )
    print(
        f"held-out slices ({len(val)}): {', '.join(val)}; trained on {len(recipe['train_images'])}"
    )

    methods = {
        "all cell (baseline)": lambda g, rgb: np.ones(g.shape, bool),
        "Otsu": lambda g, rgb: otsu(g),
        "Sauvola (w=25, k=0.2)": lambda g, rgb: sauvola(g),
        "watershed (markers)": lambda g, rgb: watershed(g),
        "U-Net (foveal, MobileNetV2; the default, one pass)": lambda g, rgb: (
            foveal.segment(rgb, model=run).class_map == 1
        ),
        "U-Net (foveal, MobileNetV2; --tta)": lambda g, rgb: (
            foveal.segment(rgb, model=run, tta=True).class_map == 1
        ),
    }
    foveal.segment(load_image(Path(args.data) / "images" / val[0]), model=run)  # warm-up
    rows = []
    for name, fn in methods.items():
        preds, truths, secs = [], [], 0.0
        for v in val:
            rgb = load_image(Path(args.data) / "images" / v)
            gray = rgb[..., 0]
            t = time.perf_counter()
            preds.append(fn(gray, rgb))
            secs += time.perf_counter() - t
            truths.append(read_mask(Path(args.data) / "masks" / v) == 255)
        s = scores(np.stack(preds), np.stack(truths))
        rows.append({"method": name, **s, "s_per_image": secs / len(val)})
    print("\n| method | pixel error | membrane Dice | mIoU | s/image |\n|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['method']} | {r['pixel_error']:.4f} | {r['membrane_dice']:.4f} | "
            f"{r['miou']:.4f} | {r['s_per_image']:.3f} |"
        )
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    if args.out:
        Path(args.out).write_text(json.dumps({"run": str(run), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
