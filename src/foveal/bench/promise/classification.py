"""Classification in the promise benchmark: linear classifiers on hand-crafted features vs CNN
embeddings vs a fine-tuned CNN, on Fashion-MNIST and scikit-learn's digits."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from foveal.bench.promise.core import Row, Settings, fmt_row
from foveal.bench.promise.finetune import FashionFinetune


def resize_all(images: np.ndarray, size: int) -> np.ndarray:
    """Every image of a stack resized to ``size`` x ``size`` (bilinear)."""
    import cv2

    return np.stack([cv2.resize(im, (size, size), interpolation=cv2.INTER_LINEAR) for im in images])


def linear_probe(
    ftr: np.ndarray, ytr: np.ndarray, fte: np.ndarray, yte: np.ndarray, seed: int
) -> tuple[float, float]:
    """Accuracy of a standardised multinomial logistic regression, and its fit time."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(
        StandardScaler(), LogisticRegression(C=0.1, max_iter=300, random_state=seed)
    )
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(ftr, ytr)
    fit_s = time.perf_counter() - t
    return float((clf.predict(fte) == yte).mean()), fit_s


def classification_extractors(
    seed: int, cnn_input: int
) -> list[tuple[str, str, Callable[[], Any]]]:
    """(method, kind, factory) of every feature a linear classifier is trained on (32x32 inputs)."""
    from foveal.classic.bovw import SiftBoVW
    from foveal.classic.descriptors import HOG, LBP, Gabor
    from foveal.features.learned import CNNExtractor

    s = (32, 32)
    return [
        ("HOG + linear", "classical", lambda: HOG(size=s, cell=4)),
        (
            "SIFT-BoVW + linear",
            "classical",
            lambda: SiftBoVW(words=128, size=s, dense_step=4, patch=8, seed=seed),
        ),
        ("LBP + linear", "classical", lambda: LBP(size=s, grid=4)),
        (
            "Gabor + linear",
            "classical",
            lambda: Gabor(size=s, wavelengths=(3.0, 6.0, 12.0), grid=4),
        ),
        (
            "CNN embeddings + linear",
            "deep",
            lambda: CNNExtractor("mobilenet_v2.imagenet", input_size=(cnn_input, cnn_input)),
        ),
    ]


def run_classification(cfg: Settings) -> list[Row]:
    """Every feature extractor (and the fine-tuned CNN on Fashion-MNIST) on each data set."""
    from foveal.bench.data import digits, fashion_mnist
    from foveal.errors import FovealError

    rows: list[Row] = []
    splits = []
    if "fashion-mnist" in cfg.datasets:
        try:
            splits.append(fashion_mnist(cfg.fashion_train, cfg.fashion_test, seed=cfg.seed))
        except FovealError as exc:  # the data set is not installed: a row with a note
            rows.append(
                Row(
                    "classification",
                    "fashion-mnist",
                    "(all methods)",
                    "-",
                    "accuracy",
                    note=str(exc),
                )
            )
    if "digits" in cfg.datasets:
        splits.append(digits(seed=cfg.seed))
    for split in splits:
        cfg.log(f"classification: {split.describe()}")
        xtr, xte = resize_all(split.x_train, 32), resize_all(split.x_test, 32)
        for method, kind, factory in classification_extractors(cfg.seed, cfg.cnn_input):
            row = Row("classification", split.name, method, kind, "accuracy")
            try:
                _probe_row(row, factory(), split, (xtr, xte), cfg.seed)
            except Exception as exc:  # noqa: BLE001 - a failing method is a row with a note
                row.note = f"failed: {type(exc).__name__}: {exc}"
            rows.append(row)
            cfg.log(f"  {fmt_row(row)}")
        if split.name == "fashion-mnist":
            rows.append(run_finetune(split, cfg))
            cfg.log(f"  {fmt_row(rows[-1])}")
    return rows


def _probe_row(
    row: Row, ex: Any, split: Any, resized: tuple[np.ndarray, np.ndarray], seed: int
) -> None:
    """Fill ``row`` with the linear-probe accuracy of extractor ``ex`` and its timings."""
    src_tr, src_te = (split.x_train, split.x_test) if row.kind == "deep" else resized
    t = time.perf_counter()
    if ex.needs_fit:  # SIFT-BoVW: describe once, learn the vocabulary, encode
        descs = [ex.descriptors(im) for im in src_tr]
        ftr = ex.fit_descriptors(descs, max_descriptors=20_000).encode(descs)
    else:
        ftr = ex.extract(src_tr)
    train_s = time.perf_counter() - t
    t = time.perf_counter()
    fte = ex.extract(src_te)
    test_s = time.perf_counter() - t
    acc, fit_s = linear_probe(ftr, split.y_train, fte, split.y_test, seed)
    row.value, row.time_s = acc, train_s + test_s + fit_s
    row.per_item_ms = 1000 * test_s / len(src_te)
    row.extra = {"dim": float(ex.dim), "fit_s": fit_s}


def run_finetune(split: Any, cfg: Settings) -> Row:
    """Fine-tune ImageNet MobileNetV2 with ``foveal.train``; test the exported ONNX model."""
    from foveal.train import TrainConfig, Trainer

    row = Row("classification", split.name, "fine-tuned CNN", "deep", "accuracy")
    recipe = FashionFinetune(split, input_size=cfg.cnn_input, seed=cfg.seed)
    run_dir = Path(tempfile.mkdtemp(prefix="foveal-promise-"))
    try:
        t = time.perf_counter()
        conf = TrainConfig(
            epochs=cfg.finetune_epochs,
            lr=1e-3,
            warmup_epochs=0.3,
            seed=cfg.seed,
            run_dir=str(run_dir / "run"),
            progress=False,
            threads=1,  # one intra-op thread: on a busy shared CPU, 2 threads ran ~15x slower here
        )
        result = Trainer(recipe, conf).fit()
        train_s = time.perf_counter() - t
        path = getattr(result, "export_path", None) or (run_dir / "run" / "model.onnx")
        acc, test_s = recipe.test_accuracy(Path(path))
        row.value, row.time_s = acc, train_s + test_s
        row.per_item_ms = 1000 * test_s / len(split.x_test)
        row.note = f"{cfg.finetune_epochs} epoch(s), {cfg.cnn_input}x{cfg.cnn_input}"
    except Exception as exc:  # noqa: BLE001 - a failing method is a row with a note
        row.note = f"failed: {type(exc).__name__}: {exc}"
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    return row
