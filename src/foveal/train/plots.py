"""PNG plots of a run: loss and metric curves, confusion matrix (matplotlib, headless).

Every curve has its own line style and marker, so curves that coincide (accuracy and balanced
accuracy on a balanced set) both stay visible; a one-epoch run shows its points with their values;
titles wrap to the figure's width and the layout is constrained, so no text is cut off.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

# (line style, marker, marker size): each later curve has a smaller marker and another dash
# pattern, so a curve drawn over an identical one leaves the earlier one's outline visible.
STYLES = [("-", "o", 9), ("--", "s", 7), (":", "^", 6), ("-.", "D", 5), ((0, (5, 1)), "v", 5)]
CHARS_PER_INCH = 8  # a 12 pt title holds ~10 characters per inch: wrap with room to spare


def figure(size: tuple[float, float]) -> tuple[Any, Any]:
    """A headless figure with constrained layout, without pyplot (no global state, cheaper to
    import, safe in any thread)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def wrap_title(text: str, fig: Any) -> str:
    """``text`` broken into lines that fit the width of ``fig``."""
    width = max(16, int(fig.get_figwidth() * CHARS_PER_INCH))
    return "\n".join(textwrap.wrap(text, width)) or text


def save_png(fig: Any, path: str | os.PathLike, dpi: int = 90) -> Path:
    """Write ``fig`` to ``path`` atomically (a temporary file renamed at the end)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part.png")
    fig.savefig(tmp, dpi=dpi)
    os.replace(tmp, out)
    return out


def _epoch_axis(ax: Any, epochs: list[int]) -> None:
    """Ticks at whole epochs only; a run of one or two epochs gets room around its points."""
    from matplotlib.ticker import MaxNLocator

    if len(epochs) <= 10:
        ax.set_xticks(epochs)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    lo, hi = min(epochs), max(epochs)
    pad = 0.5 if hi == lo else max(0.3, 0.03 * (hi - lo))  # whole markers at both ends
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_xlabel("epoch")


def _curves(
    ax: Any,
    epochs: list[int],
    history: Sequence[dict[str, Any]],
    keys: list[str],
    main: str | None = None,
) -> None:
    single = len(epochs) == 1
    for i, key in enumerate(keys):
        ls, marker, size = STYLES[i % len(STYLES)]
        values = [float(r.get(key, np.nan)) for r in history]
        label = f"{key} (main)" if key == main else key
        (line,) = ax.plot(
            epochs,
            values,
            linestyle=ls,
            marker=marker,
            markersize=size,
            markerfacecolor="none" if i % 2 == 0 else None,
            markeredgewidth=1.6,
            linewidth=2.6 if key == main else 1.6,
            label=label,
            zorder=3 + i,
        )
        if single and np.isfinite(values[0]):
            ax.annotate(
                f"{values[0]:.4g}",
                (epochs[0], values[0]),
                xytext=(10, 6 - 14 * i),
                textcoords="offset points",
                fontsize=9,
                color=line.get_color(),
            )
    ax.margins(y=0.12)  # room for the value labels of a one-epoch run
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, framealpha=0.85)


def _metric_keys(history: Sequence[dict[str, Any]], num_classes: int | None) -> list[str]:
    """Validation metrics worth a curve: top-5 only when there are more than 5 classes (with 5 or
    fewer it is 1.0 by definition; when the class count is unknown, a top-5 that is 1.0 at every
    epoch is left out for the same reason)."""
    keys = [k for k in history[-1] if k.startswith("val_") and not k.endswith("loss")]
    out = []
    for k in keys:
        if k.endswith("top5"):
            if num_classes is not None and num_classes <= 5:
                continue
            if num_classes is None and all(r.get(k) == 1.0 for r in history):
                continue
        out.append(k)
    return out


def plot_history(
    history: Sequence[dict[str, Any]],
    run_dir: str | os.PathLike,
    main_metric: str,
    *,
    num_classes: int | None = None,
) -> list[Path]:
    """``loss.png`` (train loss and any validation loss) and ``metrics.png`` (validation
    metrics; no top-5 curve for 5 classes or fewer)."""
    if not history:
        return []
    epochs = [int(r["epoch"]) for r in history]
    out = []
    fig, ax = figure((6.4, 4.2))
    _curves(ax, epochs, history, [k for k in history[-1] if k.endswith("loss")])
    _epoch_axis(ax, epochs)
    ax.set_ylabel("loss")
    ax.set_title(wrap_title("loss" + (" (one epoch)" if len(epochs) == 1 else ""), fig))
    out.append(save_png(fig, Path(run_dir) / "loss.png"))

    keys = _metric_keys(history, num_classes)
    if keys:
        fig, ax = figure((6.4, 4.2))
        _curves(ax, epochs, history, keys, main=f"val_{main_metric}")
        _epoch_axis(ax, epochs)
        ax.set_ylabel("score")
        ax.set_title(wrap_title(f"validation metrics (main: {main_metric})", fig))
        out.append(save_png(fig, Path(run_dir) / "metrics.png"))
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
    size = min(16.0, 3.5 + 0.45 * k)
    fig, ax = figure((size, size))
    ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(k), labels=list(labels), rotation=45, ha="right")
    ax.set_yticks(range(k), labels=list(labels))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.suptitle(wrap_title(title, fig))
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
    return save_png(fig, path)
