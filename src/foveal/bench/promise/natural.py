"""The promise on natural photos: ants vs bees (245 photos, ``classification/hymenoptera``).

Every method sees the same split: a stratified 25% of the photos (seeded) is the test set. The
hand-crafted features (HOG, SIFT bag of visual words, LBP, Gabor, HSV colour histogram) and the
CNN embeddings (MobileNetV2, ImageNet) feed the same logistic regression
(:func:`foveal.bench.promise.classification.linear_probe`); the last row is ``foveal train
classify`` with its defaults (``--mode auto``), scored with its exported ONNX model.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from foveal.bench.promise.classification import linear_probe
from foveal.bench.promise.core import Row, Settings, fmt_row

DATASET = "ants-bees"


def natural_extractors(seed: int) -> list[tuple[str, str, Callable[[], Any]]]:
    """(method, kind, factory) of the features compared on colour photos."""
    from foveal.classic.bovw import SiftBoVW
    from foveal.classic.descriptors import HOG, LBP, ColorHistogram, Gabor
    from foveal.features.learned import CNNExtractor

    s = (128, 128)
    return [
        ("HOG + linear", "classical", lambda: HOG(size=s, cell=16)),
        (
            "SIFT-BoVW + linear",
            "classical",
            lambda: SiftBoVW(words=256, size=s, dense_step=8, patch=16, seed=seed),
        ),
        ("LBP + linear", "classical", lambda: LBP(size=s, grid=4)),
        ("Gabor + linear", "classical", lambda: Gabor(size=s, grid=4)),
        ("colour histogram + linear", "classical", lambda: ColorHistogram(size=s)),
        ("CNN embeddings + linear", "deep", lambda: CNNExtractor("mobilenet_v2.imagenet")),
    ]


def run_ants_bees(cfg: Settings) -> list[Row]:
    """Every extractor + logistic regression, then ``foveal train classify`` defaults."""
    from foveal.data.imagefolder import scan, stratified_split
    from foveal.io import load_image

    root = Path(cfg.shared) / "data" / "classification" / "hymenoptera" / "train"
    if not root.is_dir():
        return [
            Row("classification", DATASET, "(all methods)", "-", "accuracy", note=f"{root} missing")
        ]
    tree = scan(root)
    train, test = stratified_split(list(tree.samples), 0.25, seed=cfg.seed)
    cfg.log(f"classification: {DATASET}, {len(train)} training / {len(test)} test photos")
    x_train = [load_image(p) for p, _ in train]
    x_test = [load_image(p) for p, _ in test]
    y_train = np.asarray([y for _, y in train])
    y_test = np.asarray([y for _, y in test])
    rows = []
    for method, kind, factory in natural_extractors(cfg.seed):
        row = Row("classification", DATASET, method, kind, "accuracy")
        try:
            ex = factory()
            t = time.perf_counter()
            if ex.needs_fit:
                descs = [ex.descriptors(im) for im in x_train]
                ftr = ex.fit_descriptors(descs, max_descriptors=40_000).encode(descs)
            else:
                ftr = ex.extract(x_train)
            t_test = time.perf_counter()
            fte = ex.extract(x_test)
            test_s = time.perf_counter() - t_test
            acc, fit_s = linear_probe(ftr, y_train, fte, y_test, cfg.seed)
            row.value, row.time_s = acc, time.perf_counter() - t
            row.per_item_ms = 1000 * test_s / len(x_test)
            row.extra = {"dim": float(ex.dim), "fit_s": fit_s}
        except Exception as exc:  # noqa: BLE001 - a failing method is a row with a note
            row.note = f"failed: {type(exc).__name__}: {exc}"
        rows.append(row)
        cfg.log(f"  {fmt_row(row)}")
    rows.append(train_classify_defaults(train, test, list(tree.classes), cfg))
    cfg.log(f"  {fmt_row(rows[-1])}")
    return rows


def train_classify_defaults(
    train: list[tuple[Path, int]], test: list[tuple[Path, int]], classes: list[str], cfg: Settings
) -> Row:
    """``foveal train classify`` with its defaults on ``train``; the ONNX model scores ``test``."""
    from foveal.evaluate.classification import evaluate_classifier
    from foveal.tasks.classify.options import DEFAULT_LR, ClassifyOptions
    from foveal.tasks.classify.train import ClassificationRecipe
    from foveal.train import TrainConfig, Trainer

    row = Row("classification", DATASET, "CNN, train classify defaults", "deep", "accuracy")
    work = Path(tempfile.mkdtemp(prefix="foveal-promise-ab-"))
    try:
        for part, samples in (("train", train), ("test", test)):
            for path, label in samples:
                d = work / "data" / part / classes[label]
                d.mkdir(parents=True, exist_ok=True)
                (d / Path(path).name).symlink_to(Path(path).resolve())
        t = time.perf_counter()
        recipe = ClassificationRecipe(ClassifyOptions(str(work / "data"), seed=cfg.seed))
        conf = TrainConfig(
            lr=DEFAULT_LR[recipe.train_mode],
            seed=cfg.seed,
            run_dir=str(work / "run"),
            progress=False,
        )
        result = Trainer(recipe, conf).fit()
        t_test = time.perf_counter()
        m = evaluate_classifier(result.run_dir, work / "data", split="test")
        row.value, row.time_s = float(m["top1"]), time.perf_counter() - t
        row.per_item_ms = 1000 * (time.perf_counter() - t_test) / len(test)
        row.note = f"recipe {recipe.train_mode}: {recipe.choice.reason}"
    except Exception as exc:  # noqa: BLE001 - a failing method is a row with a note
        row.note = f"failed: {type(exc).__name__}: {exc}"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return row
