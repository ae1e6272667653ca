"""The promise benchmark's outputs: a text table, a PNG chart and a JSON file of every row."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from foveal.bench.promise.core import Row, Settings
from foveal.utils.files import atomic_path, atomic_write_text

COLUMNS = (
    ("task", 17), ("data", 24), ("method", 42), ("kind", 10), ("metric", 16),
    ("value", -8), ("time s", -9), ("ms/item", -9),
)  # fmt: skip
"""Header and width of each table column (negative: right-aligned)."""


def _cells(cells: Sequence[str]) -> str:
    return "".join(
        f"{c:<{w}}" if w > 0 else f"{c:>{-w}}" for c, (_, w) in zip(cells, COLUMNS, strict=True)
    )


def format_table(rows: Sequence[Row]) -> str:
    """A fixed-width table, one line per row (skipped rows show dashes and their note).

    >>> print(format_table([Row("ocr", "pages", "Tesseract", "classical", "CER", note="no")]))
    ... # doctest: +NORMALIZE_WHITESPACE
    task  data  method  kind  metric  value  time s  ms/item
    ---...
    ocr   pages Tesseract classical CER - - -  no
    """
    head = _cells([name for name, _ in COLUMNS])
    lines = [head, "-" * len(head)]
    for r in rows:
        first = [r.task, r.dataset, r.method, r.kind, r.metric]
        if r.skipped:
            lines.append(_cells([*first, "-", "-", "-"]) + f"  {r.note}")
        else:
            numbers = [f"{r.value:.4f}", f"{r.time_s:.2f}", f"{r.per_item_ms:.2f}"]
            lines.append(_cells([*first, *numbers]))
    return "\n".join(lines)


def plot(rows: Sequence[Row], path: str | os.PathLike) -> Path:
    """A PNG: the main metric (left) and time per item (right, log scale) of every row that ran."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    done = [r for r in rows if not r.skipped]
    labels = [f"{r.task.replace('_', ' ')} | {r.dataset} | {r.method}" for r in done]
    colours = ["#4c72b0" if r.kind == "deep" else "#dd8452" for r in done]
    height = max(3.0, 0.32 * len(done) + 1.2)
    fig, (ax1, ax2) = plt.subplots(
        1, 2, figsize=(15, height), sharey=True, gridspec_kw={"width_ratios": [3, 2]}
    )
    y = np.arange(len(done))[::-1]
    ax1.barh(y, [r.value for r in done], color=colours)
    for yi, r in zip(y, done, strict=True):
        ax1.text(min(r.value, 1.0) + 0.01, yi, f"{r.value:.3f} {r.metric}", va="center", fontsize=7)
    ax1.set_yticks(y, labels, fontsize=7)
    ax1.set_xlim(0, 1.25)
    ax1.set_xlabel("main metric (higher is better)")
    ax2.barh(y, [max(r.per_item_ms, 1e-3) for r in done], color=colours)
    ax2.set_xscale("log")
    ax2.set_xlabel("time per item, ms (log)")
    legend = [Patch(color="#dd8452", label="classical"), Patch(color="#4c72b0", label="deep")]
    ax2.legend(handles=legend, loc="upper right", fontsize=8, bbox_to_anchor=(1.0, 1.12), ncol=2)
    fig.suptitle("foveal promise benchmark: learned vs hand-crafted, same data and splits")
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, format="png", bbox_inches="tight")
    plt.close(fig)
    return Path(path)


def save(
    rows: Sequence[Row], cfg: Settings, out_dir: str | os.PathLike, elapsed_s: float
) -> tuple[Path, Path]:
    """Write ``promise.png`` and ``promise.json`` (settings, time, rows) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    png = plot(rows, out / "promise.png")
    settings = {
        k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items() if k != "log"
    }
    data = {"settings": settings, "elapsed_s": elapsed_s, "rows": [asdict(r) for r in rows]}
    atomic_write_text(out / "promise.json", json.dumps(data, indent=1))
    return png, out / "promise.json"
