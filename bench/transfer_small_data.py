"""Transfer learning on small data, measured: ``foveal train classify`` defaults (``--mode auto``)
side by side with the CNN linear probe baselines, on the same folds and the same held-back photos.

Ants/bees (``../shared/data/classification/hymenoptera/train``, 245 photos):
  * 5-fold cross-validation (stratified, seed 0) on all 245 photos: the defaults; ``--mode linear
    --augment none`` (the plain linear probe, centre crops); and an independent linear probe,
    scikit-learn logistic regression on the ONNX MobileNetV2 embeddings (``CNNExtractor``).
  * held-back test: a fixed stratified 25% of the 245 photos (``stratified_split(..., 0.25,
    seed=0)``: 61 photos) is never trained on; the defaults train on the other 184 (which they
    split 80/20 themselves) and the exported ONNX model scores the 61 (``evaluate_classifier``).
Digits (scikit-learn ``load_digits``, 8x8 upscaled to 32x32 PNGs, grey as RGB): 25% held back
(stratified, seed 0), the defaults with ``hflip=False`` (``--no-hflip``) and ``--input-size 64
--resize 64`` (``--digits-input``) train on the rest; ``auto`` fine-tunes them (digit classes).

    nice -n 5 python bench/transfer_small_data.py --out /tmp/foveal-bench/transfer
    nice -n 5 python bench/transfer_small_data.py --skip-digits   # ants/bees only

Fashion-MNIST (54k training images) is not rerun here: ``--mode auto`` picks ``finetune``, the
recipe that gave the 93% figure (see ``bench/train_fashion_mnist.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

ANTS_BEES = Path(__file__).resolve().parents[2] / "shared/data/classification/hymenoptera/train"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def link_folder(samples: list, classes: list[str], root: Path) -> Path:
    """An ImageFolder of symbolic links to ``samples``."""
    for path, label in samples:
        d = root / classes[label]
        d.mkdir(parents=True, exist_ok=True)
        (d / Path(path).name).symlink_to(Path(path).resolve())
    return root


def shared_bank(data: Path) -> object:
    """One feature bank for every run on the same photos (same model and preprocessing)."""
    from foveal.tasks.classify.options import ClassifyOptions
    from foveal.tasks.classify.probe import FeatureBank
    from foveal.tasks.classify.train import ClassificationRecipe
    from foveal.zoo.load import load_model

    recipe = ClassificationRecipe(ClassifyOptions(str(data)))
    return FeatureBank(load_model(recipe.spec), recipe.preprocess)


def cv_defaults_and_probe(data: Path, k: int, work: Path, threads: int, bank: object) -> dict:
    """k-fold CV: defaults vs ``--mode linear --augment none`` vs sklearn on ONNX embeddings."""
    from foveal.bench.promise.classification import linear_probe
    from foveal.data.imagefolder import scan
    from foveal.features.learned import CNNExtractor
    from foveal.tasks.classify.cv import cross_validate, stratified_folds
    from foveal.tasks.classify.options import DEFAULT_LR, ClassifyOptions
    from foveal.train import TrainConfig

    out: dict = {}
    for name, opts in (
        ("defaults (auto)", ClassifyOptions(str(data))),
        (
            "CNN linear probe (--mode linear --augment none)",
            ClassifyOptions(str(data), mode="linear", augment="none"),
        ),
    ):
        t = time.perf_counter()
        cfg = TrainConfig(run_dir=str(work / name.split()[0]), progress=False, threads=threads)
        res = cross_validate(opts, cfg, k, lr_for=DEFAULT_LR.get, feature_bank=bank)
        out[name] = {**res.to_dict(), "seconds": time.perf_counter() - t}
        log(f"{name}: {res.mean:.4f} +- {res.std:.4f} {res.accuracies}")
    # the independent probe: ONNX embeddings + standardised logistic regression, same folds
    tree = scan(data)
    folds = stratified_folds(list(tree.samples), k, seed=0)
    t = time.perf_counter()
    ex = CNNExtractor("mobilenet_v2.imagenet", threads=threads)
    feats = {
        str(p): f
        for (p, _), f in zip(
            tree.samples, ex.extract([str(p) for p, _ in tree.samples]), strict=True
        )
    }
    accs = []
    for i in range(k):
        tr = [s for j, f in enumerate(folds) if j != i for s in f]
        te = folds[i]
        acc, _ = linear_probe(
            np.stack([feats[str(p)] for p, _ in tr]),
            np.asarray([y for _, y in tr]),
            np.stack([feats[str(p)] for p, _ in te]),
            np.asarray([y for _, y in te]),
            0,
        )
        accs.append(acc)
    name = "CNN embeddings + sklearn logistic regression (promise probe)"
    out[name] = {
        "mean_accuracy": float(np.mean(accs)),
        "std_accuracy": float(np.std(accs, ddof=1)),
        "fold_accuracies": accs,
        "seconds": time.perf_counter() - t,
    }
    log(f"{name}: {np.mean(accs):.4f} {accs}")
    return out


def held_back(
    data: Path,
    work: Path,
    threads: int,
    *,
    hflip: bool = True,
    bank: object = None,
    input_size: int | None = None,
) -> dict:
    """Train with defaults on all but a fixed stratified 25%; score the 25% with the ONNX model."""
    from foveal.data.imagefolder import scan, stratified_split
    from foveal.evaluate.classification import evaluate_classifier
    from foveal.tasks.classify.options import DEFAULT_LR, ClassifyOptions
    from foveal.tasks.classify.train import ClassificationRecipe
    from foveal.train import TrainConfig, Trainer

    tree = scan(data)
    keep, test = stratified_split(list(tree.samples), 0.25, seed=0)
    train_dir = link_folder(keep, tree.classes, work / "train")
    test_dir = link_folder(test, tree.classes, work / "test")
    t = time.perf_counter()
    opts = ClassifyOptions(str(train_dir), hflip=hflip, input_size=input_size, resize=input_size)
    recipe = ClassificationRecipe(opts, feature_bank=bank)
    cfg = TrainConfig(
        lr=DEFAULT_LR[recipe.train_mode], run_dir=str(work / "run"), progress=False, threads=threads
    )
    result = Trainer(recipe, cfg).fit()
    m = evaluate_classifier(result.run_dir, test_dir)
    m_tta = evaluate_classifier(result.run_dir, test_dir, tta=True) if hflip else None
    return {
        "train_images": len(keep),
        "held_back_images": len(test),
        "recipe": recipe.train_mode,
        "input_size": recipe.preprocess.input_size[0],
        "recipe_reason": recipe.choice.reason,
        "held_back_accuracy": m["top1"],
        "held_back_accuracy_tta": m_tta["top1"] if m_tta else None,
        "seconds": time.perf_counter() - t,
    }


def digits_folder(root: Path, size: int) -> Path:
    """scikit-learn's digits as ``root/<digit>/<n>.png`` at ``size`` x ``size``."""
    import cv2
    from sklearn.datasets import load_digits

    d = load_digits()
    for i, (img, y) in enumerate(zip(d.images, d.target, strict=True)):
        im = cv2.resize(
            (img * 255 / 16).astype(np.uint8), (size, size), interpolation=cv2.INTER_LINEAR
        )
        (root / str(y)).mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / str(y) / f"{i:04d}.png"), im)
    return root


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", default=str(ANTS_BEES), help="the ants/bees ImageFolder")
    ap.add_argument(
        "--out", default=os.path.join(tempfile.gettempdir(), "foveal-bench", "transfer")
    )
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--digits-size", type=int, default=32, help="side of the upscaled digits")
    ap.add_argument(
        "--digits-input",
        type=int,
        default=64,
        help="--input-size (and --resize) for the digits run (default 64; 224 fine-tunes at "
        "~15 min per epoch on a busy 2-core CPU)",
    )
    ap.add_argument("--skip-digits", action="store_true")
    ap.add_argument("--skip-cv", action="store_true")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report: dict = {}
    with tempfile.TemporaryDirectory(prefix="foveal-transfer-") as tmp:
        work = Path(tmp)
        bank = shared_bank(Path(args.data))
        if not args.skip_cv:
            report["ants_bees_cv"] = cv_defaults_and_probe(
                Path(args.data), args.folds, work / "cv", args.threads, bank
            )
        report["ants_bees_held_back"] = held_back(
            Path(args.data), work / "held", args.threads, bank=bank
        )
        log(f"ants/bees held back: {report['ants_bees_held_back']}")
        if not args.skip_digits:
            digits = digits_folder(work / "digits-data", args.digits_size)
            report["digits_held_back"] = held_back(
                digits, work / "digits", args.threads, hflip=False, input_size=args.digits_input
            )
            log(f"digits held back: {report['digits_held_back']}")
    (out / "transfer_small_data.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
