"""PNG plots of a run: loss and metric curves, confusion matrix (matplotlib, headless)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | os.PathLike) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part.png")
    fig.savefig(tmp, dpi=100, bbox_inches="tight")
    os.replace(tmp, out)
    return out


def plot_history(history: Sequence[dict[str, Any]], run_dir: str | os.PathLike, main_metric: str) -> list[Path]:
    """``loss.png`` (train loss and any validation loss) and ``metrics.png`` (validation metrics)."""
    if not history:
        return []
    plt = _plt()
    epochs = [int(r["epoch"]) for r in history]
    out = []
    fig, ax = plt.subplots(figsize=(6, 4))
    for key in [k for k in history[-1] if k.endswith("loss")]:
        ax.plot(epochs, [r.get(key, np.nan) for r in history], marker="o", label=key)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("loss")
    ax.grid(alpha=0.3)
    ax.legend()
    out.append(_save(fig, Path(run_dir) / "loss.png"))
    plt.close(fig)

    keys = [k for k in history[-1] if k.startswith("val_") and not k.endswith("loss")]
    if keys:
        fig, ax = plt.subplots(figsize=(6, 4))
        for key in keys:
            ax.plot(epochs, [r.get(key, np.nan) for r in history], marker="o", label=key,
                    linewidth=2.5 if key == f"val_{main_metric}" else 1.2)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("epoch")
        ax.set_title(f"validation metrics (main: {main_metric})")
        ax.grid(alpha=0.3)
        ax.legend()
        out.append(_save(fig, Path(run_dir) / "metrics.png"))
        plt.close(fig)
    return out


def plot_confusion_matrix(
    matrix: np.ndarray, labels: Sequence[str], path: str | os.PathLike, *, title: str = "confusion matrix"
) -> Path:
    """Rows are true classes, columns predictions; cells show counts, colour shows the row fraction."""
    plt = _plt()
    cm = np.asarray(matrix, dtype=np.int64)
    k = len(labels)
    frac = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    size = min(16.0, 2.5 + 0.45 * k)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(k), labels=list(labels), rotation=45, ha="right")
    ax.set_yticks(range(k), labels=list(labels))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if k <= 30:
        for i in range(k):
            for j in range(k):
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if frac[i, j] > 0.5 else "black")
    out = _save(fig, path)
    plt.close(fig)
    return out
