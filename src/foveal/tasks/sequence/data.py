"""Sequence data: CSV rows of flattened sequences (``label, v1, v2, ...``), their labels, and the
split by recording order.

Bad rows (wrong width, non-numeric cells, unknown labels) are skipped, each with one line in
``problems``; the rest is kept.

>>> import pathlib
>>> _ = pathlib.Path("toy.csv").write_text("0,0,0,1,1\\n1,0,0,x,1\\n1,0,0,-1,-1\\n2,0,0\\n")
>>> rows = read_sequence_csv("toy.csv", step_dims=2)
>>> rows.x.shape, rows.labels, len(rows.problems)
((2, 2, 2), ['0', '1'], 2)
>>> print(rows.problems[0])
toy.csv line 2: cell 4 is 'x', not a number
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import ConfigError, FovealError


class SequenceDataError(FovealError, ValueError):
    """Sequence data that cannot be used at all (no usable row, an unreadable file)."""


@dataclass
class SequenceRows:
    """The usable rows of a sequence CSV.

    Attributes:
        x: ``(N, T, D)`` float32 sequences.
        labels: the N label cells as written (``None`` where the file has no label column).
        lines: the N line numbers (from 1) in the file.
        problems: one line per skipped row.
    """

    x: np.ndarray
    labels: list[str | None]
    lines: list[int]
    problems: list[str] = field(default_factory=list)


@dataclass
class SequenceSet:
    """``x`` ``(N, T, D)`` float32, ``y`` ``(N,)`` class ids in recording order, the class names,
    one line per skipped row or clip, and how the steps were made (``features``: ``csv``,
    ``cnn``, ``hands`` ...)."""

    x: np.ndarray
    y: np.ndarray
    classes: list[str]
    problems: list[str] = field(default_factory=list)
    features: str = "csv"
    backbone: str | None = None

    def feature_params(self) -> dict[str, Any]:
        """What a predictor needs to make the same steps again (stored in the ONNX metadata)."""
        out: dict[str, Any] = {"features": self.features}
        if self.backbone:
            out["backbone"] = self.backbone
        return out


def read_labels(path: str | os.PathLike) -> list[str]:
    """Class names, one per line (index = class id; blank lines are left out); a UTF-8 BOM is
    ignored.

    Raises:
        SequenceDataError: the file is missing or names no class.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SequenceDataError(
            f"cannot read the labels file {p} ({exc.strerror}); give a text file with one class "
            "name per line"
        ) from None
    names = [line.split(",")[0].strip() for line in text.splitlines() if line.strip()]
    if not names:
        raise SequenceDataError(f"the labels file {p} names no class; write one name per line")
    return names


def read_sequence_csv(
    path: str | os.PathLike,
    *,
    step_dims: int,
    steps: int | None = None,
    label_column: bool | None = True,
) -> SequenceRows:
    """Read rows ``label, v1, ..., v(T*D)`` (or ``v1, ...`` without labels) as ``(N, T, D)``.

    Args:
        step_dims: D, the numbers per time step.
        steps: T; by default the width of the first usable row decides it.
        label_column: ``True`` (first cell is the label), ``False`` (numbers only) or ``None``:
            decided per file from the width of the first row (needs ``steps``).

    Raises:
        ConfigError: ``step_dims`` or ``steps`` below 1.
        SequenceDataError: the file cannot be read or holds no usable row.
    """
    if step_dims < 1 or (steps is not None and steps < 1):
        raise ConfigError(f"--step-dims must be at least 1 (got {step_dims}, steps {steps})")
    p = Path(path)
    name = p.name
    if label_column is None and steps is None:
        raise ConfigError("reading a CSV with or without labels needs the number of steps")
    want = None if steps is None else steps * step_dims
    rows: list[np.ndarray] = []
    labels: list[str | None] = []
    lines: list[int] = []
    problems: list[str] = []
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            for lineno, cells in enumerate(csv.reader(fh), start=1):
                cells = [c.strip() for c in cells]
                if not any(cells):
                    continue
                if label_column is None:
                    if len(cells) not in (want, want + 1):  # type: ignore[operator]
                        problems.append(
                            f"{name} line {lineno}: {len(cells)} cells; expected {want} numbers "
                            f"({want // step_dims} steps x {step_dims}), or a label and them"  # type: ignore[operator]
                        )
                        continue
                    label_column = len(cells) == want + 1  # type: ignore[operator]
                label = cells[0] if label_column else None
                values = cells[1:] if label_column else cells
                if want is None:
                    if not values or len(values) % step_dims:
                        problems.append(
                            f"{name} line {lineno}: {len(values)} numbers is not a whole number "
                            f"of steps of {step_dims} (--step-dims)"
                        )
                        continue
                    want = len(values)
                if len(values) != want:
                    problems.append(
                        f"{name} line {lineno}: {len(values)} numbers; expected {want} "
                        f"({want // step_dims} steps x {step_dims})"
                    )
                    continue
                vec = _numbers(values, name, lineno, offset=2 if label_column else 1)
                if isinstance(vec, str):
                    problems.append(vec)
                    continue
                rows.append(vec)
                labels.append(label)
                lines.append(lineno)
    except OSError as exc:
        raise SequenceDataError(
            f"cannot read {p} ({exc.strerror}); give a CSV of rows 'label, v1, v2, ...'"
        ) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SequenceDataError(
            f"{p} is not a UTF-8 CSV file ({exc}); give a CSV text file"
        ) from None
    if not rows:
        detail = f" ({problems[0]})" if problems else " (it is empty)"
        raise SequenceDataError(f"{p} holds no usable sequence row{detail}")
    x = np.stack(rows).reshape(len(rows), -1, step_dims)
    return SequenceRows(x, labels, lines, problems)


def _numbers(values: list[str], name: str, lineno: int, *, offset: int) -> np.ndarray | str:
    """The cells as float32, or the problem line naming the first bad cell."""
    out = np.empty(len(values), np.float32)
    for i, cell in enumerate(values):
        try:
            v = float(cell)
        except ValueError:
            return f"{name} line {lineno}: cell {i + offset} is {cell!r}, not a number"
        if not math.isfinite(v):
            return f"{name} line {lineno}: cell {i + offset} is {cell!r}, not a finite number"
        out[i] = v
    return out


def class_ids(
    labels: list[str | None], classes: list[str] | None, *, where: list[str] | None = None
) -> tuple[np.ndarray, list[str], list[str]]:
    """Map label cells to class ids.

    With ``classes`` (a labels file) a cell is a class name or an id ``0..len-1``; without,
    the classes are the distinct cells (numbers in numeric order). Returns ``(ids, classes,
    problems)``; a row with an unknown label gets id ``-1`` and a problem line (``where`` names
    each row).

    >>> class_ids(["1", "0", "Stop", "7"], ["Stop", "Move"])[0].tolist()
    [1, 0, 0, -1]
    >>> class_ids(["b", "a", "b"], None)[:2]
    (array([1, 0, 1]), ['a', 'b'])
    """
    where = where or [f"row {i + 1}" for i in range(len(labels))]
    problems: list[str] = []
    if classes is None:
        cells = sorted({c for c in labels if c is not None}, key=_natural)
        classes = cells
    index = {c: i for i, c in enumerate(classes)}
    ids = np.full(len(labels), -1, np.int64)
    for i, cell in enumerate(labels):
        if cell is None:
            continue
        if cell in index:
            ids[i] = index[cell]
        elif cell.isdigit() and int(cell) < len(classes):
            ids[i] = int(cell)
        else:
            problems.append(
                f"{where[i]}: unknown label {cell!r}; the classes are {', '.join(classes[:10])}"
                + (" ..." if len(classes) > 10 else "")
            )
    return ids, list(classes), problems


def _natural(cell: str) -> tuple[int, float, str]:
    try:
        return (0, float(cell), "")
    except ValueError:
        return (1, 0.0, cell)


def split_by_order(y: np.ndarray, test_fraction: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, test)``: for each class, its first rows (in file order) train and the last
    ``test_fraction`` test — never at random, since neighbouring rows are consecutive frames.

    >>> tr, te = split_by_order(np.array([0, 0, 0, 1, 0, 1, 1, 1]), 0.25)
    >>> tr.tolist(), te.tolist()
    ([0, 1, 2, 3, 5, 6], [4, 7])
    """
    if not 0.0 < test_fraction < 1.0:
        raise ConfigError(f"the test fraction must be between 0 and 1, got {test_fraction}")
    train, test = [], []
    for c in np.unique(y[y >= 0]):
        idx = np.flatnonzero(y == c)
        n_test = max(1, round(len(idx) * test_fraction)) if len(idx) > 1 else 0
        train.append(idx[: len(idx) - n_test])
        test.append(idx[len(idx) - n_test :])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
