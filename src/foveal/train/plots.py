"""PNG plots of a run: loss and metric curves, confusion matrix (matplotlib, headless)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def _figure(size: tuple[float, float]) -> tuple[Any, Any]:
    """A headless figure without pyplot (no global state, cheaper to import, safe in any thread)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _save(fig: Any, path: str | os.PathLike) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part.png")
    fig.savefig(tmp, dpi=90)
    os.replace(tmp, out)
    return out


def plot_history(
    history: Sequence[dict[str, Any]], run_dir: str | os.PathLike, main_metric: str
) -> list[Path]:
    """``loss.png`` (train loss and any validation loss) and ``metrics.png`` (validation
    metrics)."""
    if not history:
        return []
    epochs = [int(r["epoch"]) for r in history]
    out = []
    fig, ax = _figure((6, 4))
    for key in [k for k in history[-1] if k.endswith("loss")]:
        ax.plot(epochs, [r.get(key, np.nan) for r in history], marker="o", label=key)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("loss")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out.append(_save(fig, Path(run_dir) / "loss.png"))

    keys = [k for k in history[-1] if k.startswith("val_") and not k.endswith("loss")]
    if keys:
        fig, ax = _figure((6, 4))
        for key in keys:
            ax.plot(
                epochs,
                [r.get(key, np.nan) for r in history],
                marker="o",
                label=key,
                linewidth=2.5 if key == f"val_{main_metric}" else 1.2,
            )
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("epoch")
        ax.set_title(f"validation metrics (main: {main_metric})")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        out.append(_save(fig, Path(run_dir) / "metrics.png"))
    return out


def plot_confusion_matrix(
    matrix: np.ndarray,
    labels: Sequence[str],
    path: str | os.PathLike,
    *,
    title: str = "confusion matrix",
) -> Path:
    """Rows are true classes, columns predictions; cells show counts, colour shows the row
    fraction."""
    cm = np.asarray(matrix, dtype=np.int64)
    k = len(labels)
    frac = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    size = min(16.0, 2.5 + 0.45 * k)
    fig, ax = _figure((size, size))
    ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(k), labels=list(labels), rotation=45, ha="right")
    ax.set_yticks(range(k), labels=list(labels))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if k <= 30:
        for i in range(k):
            for j in range(k):
                ax.text(
                    j,
                    i,
                    str(cm[i, j]),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if frac[i, j] > 0.5 else "black",
                )
    fig.tight_layout()
    return _save(fig, path)
