"""The promise benchmark's vocabulary: a result row, the settings, skips and one-line rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

TASKS = (
    "classification",
    "face_detection",
    "ocr",
    "face_recognition",
    "gestures",
    "restoration",
)


@dataclass
class Row:
    """One method on one task: its main metric (higher is better) and its time.

    >>> Row("ocr", "pages", "Tesseract", "classical", "char. accuracy").skipped
    True
    """

    task: str
    dataset: str
    method: str
    kind: str  # "classical" or "deep"
    metric: str
    value: float | None = None
    time_s: float | None = None
    per_item_ms: float | None = None
    extra: dict[str, float] = field(default_factory=dict)
    note: str = ""

    @property
    def skipped(self) -> bool:
        return self.value is None


@dataclass
class Settings:
    """What to run and on how much data; ``log`` receives one progress line at a time."""

    seed: int = 0
    fashion_train: int = 2000
    fashion_test: int = 1000
    cnn_input: int = 64
    finetune_epochs: int = 3
    sequence_epochs: int = 25
    shared: Path = Path("../shared")
    tasks: tuple[str, ...] = TASKS
    datasets: tuple[str, ...] = ("fashion-mnist", "digits", "ants-bees")
    log: Callable[[str], None] = print


class Skip(Exception):
    """A method that cannot run here (an external program or optional package is missing)."""


def has_zoo(name: str) -> bool:
    """Whether the model zoo knows ``name``."""
    from foveal.errors import UnknownModelError
    from foveal.zoo import get

    try:
        get(name)
    except UnknownModelError:
        return False
    return True


def fmt_row(r: Row) -> str:
    """One progress line for a finished row.

    >>> fmt_row(Row("ocr", "pages", "Tesseract", "classical", "CER", value=0.5, time_s=2.0))
    'Tesseract                                CER 0.5000  2.0 s'
    """
    if r.skipped:
        return f"{r.method:<40} {r.note}"
    return f"{r.method:<40} {r.metric} {r.value:.4f}  {r.time_s:.1f} s"
