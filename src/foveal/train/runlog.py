"""The run folder: ``config.json``, ``metrics.csv``, ``summary.json`` (all written atomically)."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from foveal.utils.files import atomic_write_text, new_file_mode


def default_mode() -> int:
    """``0o666`` minus the process umask: what ``open()`` would give a new file."""
    return new_file_mode()


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_text(path, text)


def write_json(path: str | os.PathLike, data: Any) -> Path:
    return write_text_atomic(path, json.dumps(data, indent=2, default=_json_default) + "\n")


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def write_metrics_csv(path: str | os.PathLike, history: Sequence[dict[str, Any]]) -> Path:
    """One row per epoch; columns are the union of keys, ``epoch`` first."""
    cols: list[str] = []
    for row in history:
        cols += [k for k in row if k not in cols]
    if "epoch" in cols:
        cols.remove("epoch")
        cols.insert(0, "epoch")
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for row in history:
        w.writerow({k: _fmt(row.get(k)) for k in cols})
    return write_text_atomic(path, buf.getvalue())


def _fmt(v: Any) -> Any:
    if isinstance(v, float):
        return f"{v:.6g}"
    return "" if v is None else v


def read_metrics_csv(path: str | os.PathLike) -> list[dict[str, float]]:
    with open(path, encoding="utf-8") as fh:
        return [{k: float(v) for k, v in row.items() if v != ""} for row in csv.DictReader(fh)]


def next_run_dir(root: str | os.PathLike) -> Path:
    """``root/1``, ``root/2`` ... the first number not taken."""
    base = Path(root)
    n = 1
    while (base / str(n)).exists():
        n += 1
    return base / str(n)
