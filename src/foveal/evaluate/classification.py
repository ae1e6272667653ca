"""Classification metrics: top-1/top-5, per-class precision and recall, confusion matrix.

>>> import os, shutil
>>> from foveal.evaluate.classification import evaluate_classifier
>>> for label, image in [("tabby", "cat.jpg"), ("espresso", "coffee.png")]:
...     os.makedirs(f"photos/{label}")
...     _ = shutil.copy(image, f"photos/{label}/{image}")
>>> report = evaluate_classifier("mobilenet_v2.imagenet", "photos/")
>>> report["top1"], report["top5"], report["per_class"]["espresso"]["recall"]
(0.5, 1.0, 1.0)

A trained run on its test images, with ``report.json``, ``report.txt`` and
``confusion_matrix.png`` written to ``eval/``::

    report = evaluate_classifier("runs/classify/1", "flowers/", out_dir="eval/")
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import ConfigError


def confusion_matrix(labels: np.ndarray, preds: np.ndarray, k: int) -> np.ndarray:
    """``cm[true, predicted]`` counts."""
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (np.asarray(labels, np.int64), np.asarray(preds, np.int64)), 1)
    return cm


def classification_metrics(
    labels: np.ndarray, probs: np.ndarray, classes: Sequence[str]
) -> dict[str, Any]:
    """Top-1, top-5, balanced accuracy, per-class precision/recall/F1 and the confusion matrix.

    Args:
        labels: true class indices ``(N,)``.
        probs: scores ``(N, K)`` (any monotonic scores work; only the ranking is used).
        classes: the K class names.
    """
    labels = np.asarray(labels, np.int64)
    probs = np.asarray(probs)
    n, k = probs.shape
    if len(labels) != n:
        raise ConfigError(f"{len(labels)} labels for {n} predictions")
    if n == 0:
        raise ConfigError("no images to evaluate")
    order = np.argsort(-probs, axis=1, kind="stable")
    preds = order[:, 0]
    top5 = (order[:, : min(5, k)] == labels[:, None]).any(axis=1)
    cm = confusion_matrix(labels, preds, k)
    tp = np.diag(cm).astype(np.float64)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros(k), where=support > 0)
    f1 = np.divide(
        2 * precision * recall, precision + recall, out=np.zeros(k), where=(precision + recall) > 0
    )
    present = support > 0
    return {
        "images": int(n),
        "top1": float((preds == labels).mean()),
        "top5": float(top5.mean()),
        "balanced_accuracy": float(recall[present].mean()) if present.any() else 0.0,
        "per_class": {
            c: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, c in enumerate(classes)
        },
        "classes": list(classes),
        "confusion_matrix": cm.tolist(),
    }


def format_report(m: dict[str, Any]) -> str:
    """A plain-text table: overall figures then one line per class."""
    width = max(8, *(len(c) for c in m["classes"]))
    lines = [
        f"images {m['images']}  top-1 {m['top1']:.4f}  top-5 {m['top5']:.4f}  "
        f"balanced accuracy {m['balanced_accuracy']:.4f}",
        f"{'class':<{width}}  precision  recall     f1  support",
    ]
    for c in m["classes"]:
        r = m["per_class"][c]
        lines.append(
            f"{c:<{width}}  {r['precision']:9.4f}  {r['recall']:6.4f}  {r['f1']:.4f}  "
            f"{r['support']:7d}"
        )
    return "\n".join(lines)


def write_report(
    m: dict[str, Any], out_dir: str | os.PathLike, *, prefix: str = "", title: str = ""
) -> dict[str, Path]:
    """``{prefix}report.json``, ``{prefix}report.txt`` and ``{prefix}confusion_matrix.png`` in
    ``out_dir``."""
    from foveal.train.plots import plot_confusion_matrix
    from foveal.train.runlog import write_json, write_text_atomic

    out = Path(out_dir)
    paths = {
        "json": write_json(out / f"{prefix}report.json", m),
        "text": write_text_atomic(out / f"{prefix}report.txt", format_report(m) + "\n"),
        "confusion_matrix": plot_confusion_matrix(
            np.asarray(m["confusion_matrix"]),
            m["classes"],
            out / f"{prefix}confusion_matrix.png",
            title=f"confusion matrix ({title or 'top-1 ' + format(m['top1'], '.3f')})",
        ),
    }
    return paths


def evaluate_classifier(
    model: str | os.PathLike,
    data: str | os.PathLike,
    *,
    split: str = "auto",
    out_dir: str | os.PathLike | None = None,
    batch_size: int = 32,
    progress: bool = False,
    tta: bool = False,
) -> dict[str, Any]:
    """Evaluate a classifier (zoo name, ``.onnx`` or run folder) on an ImageFolder tree with ONNX
    Runtime.

    Args:
        data: ``ROOT/<class>/*`` or a tree with ``test/`` / ``val/`` sub-folders.
        split: ``auto`` (``test/``, else ``val/``, else the whole tree), ``test``, ``val``,
            ``train`` or ``all``.
        out_dir: where to write ``report.json``, ``report.txt`` and ``confusion_matrix.png``
            (optional).
        tta: average each image's probabilities with its mirror's (``foveal classify --tta``).

    Class folders are matched to the model's labels by name; a folder the model does not know is
    an error.
    """
    from foveal.data.imagefolder import find_split_dirs, scan
    from foveal.io import BatchReport
    from foveal.tasks.classify import Classifier
    from foveal.tasks.classify.provenance import seen_in_training

    root = Path(data)
    dirs = find_split_dirs(root)
    if split == "auto":
        folder = dirs.get("test") or dirs.get("val") or (root if not dirs else None)
        if folder is None:
            raise ConfigError(
                f"{root} has no test/ or val/ folder; pass --split train to evaluate on training "
                "images"
            )
    elif split == "all":
        folder = root
    elif split in ("test", "val", "train"):
        if split not in dirs:
            raise ConfigError(f"{root} has no {split}/ folder (found: {', '.join(dirs) or 'none'})")
        folder = dirs[split]
    else:
        raise ConfigError(f"split must be auto, test, val, train or all; got {split!r}")
    clf = Classifier(model)
    labels = list(clf.labels)
    tree = scan(folder, allow_empty=True)
    unknown = [c for c in tree.classes if c not in labels]
    if unknown:
        raise ConfigError(
            f"class folder(s) {', '.join(unknown[:8])} of {folder} are not classes of {clf.name} "
            f"({len(labels)} classes, e.g. {', '.join(labels[:5])})"
        )
    truth = {p: labels.index(tree.classes[c]) for p, c in tree.samples}
    report = BatchReport()
    # every class, so the full probability vector comes back (the ranking is all that counts)
    stream = clf.predict_batch(
        list(truth), top_k=len(labels), tta=tta, batch_size=batch_size, report=report
    )
    if progress:
        from tqdm import tqdm

        stream = tqdm(stream, total=len(truth), desc="eval", unit="img")
    probs, y = [], []
    for item, result in stream:
        row = np.zeros(len(labels), np.float32)
        row[result.class_ids] = result.scores
        probs.append(row)
        y.append(truth[item.path])
    if not probs:
        raise ConfigError(f"no readable image in {folder}")
    y_arr, p_arr = np.asarray(y), np.stack(probs)
    m = (
        classification_metrics(y_arr, p_arr, labels)
        if len(labels) <= len(tree.classes) + 1
        else _reduced(y_arr, p_arr, labels, tree.classes)
    )
    m["model"] = clf.name
    m["data"] = str(folder)
    m["seen_in_training"] = len(seen_in_training(model, list(truth))) if Path(model).is_dir() else 0
    m["skipped"] = [b.to_dict() for b in report.bad]
    if out_dir is not None:
        m["files"] = {k: str(v) for k, v in write_report(m, out_dir).items()}
    return m


def _reduced(
    y: np.ndarray, probs: np.ndarray, labels: list[str], present: list[str]
) -> dict[str, Any]:
    """Metrics for a model with many more classes than the data (e.g. ImageNet): top-1/top-5 over
    all classes; per-class figures and the confusion matrix over the data's classes plus
    ``(other)``."""
    full_order = np.argsort(-probs, axis=1, kind="stable")
    cols = {labels.index(c): i for i, c in enumerate(present)}
    k = len(present)
    y_r = np.asarray([cols[int(t)] for t in y])
    p_r = np.asarray([cols.get(int(p), k) for p in full_order[:, 0]])
    onehot = np.eye(k + 1)[p_r]
    m = classification_metrics(y_r, onehot, [*present, "(other)"])
    m["top1"] = float((full_order[:, 0] == y).mean())
    m["top5"] = float((full_order[:, :5] == y[:, None]).any(axis=1).mean())
    return m
