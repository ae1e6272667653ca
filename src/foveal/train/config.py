"""Typed training configuration (plain data, JSON round-trip, validated)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from foveal.errors import ConfigError

OPTIMIZERS = ("adamw", "sgd")
SCHEDULES = ("cosine", "onecycle", "constant")
DEVICES = ("cpu", "cuda", "auto")

# Fields that may differ between the original run and a --resume of it.
RESUMABLE_CHANGES = frozenset(
    {"resume", "progress", "run_dir", "device", "threads", "epochs", "patience"}
)


@dataclass
class TrainConfig:
    """How to train (what to train comes from the recipe).

    Attributes:
        epochs: passes over the training data.
        lr: peak learning rate (of the head, when the recipe gives discriminative groups).
        weight_decay: decoupled (AdamW) or L2 (SGD) decay; never applied to biases and norm layers.
        optimizer: ``adamw`` or ``sgd`` (Nesterov, ``momentum``).
        schedule: ``cosine`` (linear warm-up, then cosine to ``lr * min_lr_ratio``), ``onecycle``
            (warm-up over ``warmup_epochs`` or 30%, then cosine annealing) or ``constant`` (after
            warm-up).
        warmup_epochs: linear warm-up length in epochs (fractions allowed).
        grad_clip: clip the global gradient norm to this value (0 = off).
        amp: bf16 autocast (CPU, where the processor supports it) or fp16 on CUDA.
        patience: stop after this many epochs without improvement of the main metric (0 = off).
        min_delta: the smallest change of the main metric that counts as an improvement.
        seed: seeds model initialisation and every epoch's data order and augmentation.
        run_dir: the run folder (default ``runs/<task>/<n>``, the next free number).
        resume: continue the run in ``run_dir`` from its last checkpoint.
        progress: show a progress bar with live metrics.
        device: ``cpu``, ``cuda`` or ``auto``.
        threads: intra-op CPU threads per process (default: the CPUs divided by the number of
            processes).
        init_from: start from the weights of a checkpoint (``.pt``) or run folder (its best
            checkpoint).

    >>> TrainConfig(epochs=3, lr=3e-4).schedule
    'cosine'
    """

    epochs: int = 10
    lr: float = 1e-3
    weight_decay: float = 0.05
    optimizer: str = "adamw"
    momentum: float = 0.9
    schedule: str = "cosine"
    warmup_epochs: float = 1.0
    min_lr_ratio: float = 0.01
    grad_clip: float = 0.0
    amp: bool = False
    patience: int = 0
    min_delta: float = 0.0
    seed: int = 0
    run_dir: str | None = None
    resume: bool = False
    progress: bool = True
    device: str = "cpu"
    threads: int | None = None
    init_from: str | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`foveal.errors.ConfigError` for values the engine cannot use."""
        if self.epochs < 1:
            raise ConfigError(f"epochs must be at least 1, got {self.epochs}")
        if not self.lr > 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        if self.weight_decay < 0:
            raise ConfigError(f"weight_decay must be >= 0, got {self.weight_decay}")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"optimizer {self.optimizer!r} is not one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"schedule {self.schedule!r} is not one of {', '.join(SCHEDULES)}")
        if self.warmup_epochs < 0 or self.warmup_epochs > self.epochs:
            raise ConfigError(
                f"warmup_epochs must be within 0..epochs ({self.epochs}), got {self.warmup_epochs}"
            )
        if not 0 <= self.min_lr_ratio <= 1:
            raise ConfigError(f"min_lr_ratio must be within 0..1, got {self.min_lr_ratio}")
        if self.grad_clip < 0:
            raise ConfigError(f"grad_clip must be >= 0 (0 = off), got {self.grad_clip}")
        if self.patience < 0:
            raise ConfigError(f"patience must be >= 0 (0 = off), got {self.patience}")
        if self.device not in DEVICES:
            raise ConfigError(f"device {self.device!r} is not one of {', '.join(DEVICES)}")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"threads must be at least 1, got {self.threads}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build from a dict (e.g. a run's ``config.json``); unknown keys are an error."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(
                f"unknown training option(s) {', '.join(unknown)}; known: "
                f"{', '.join(sorted(names))}"
            )
        return cls(**data)

    def differences(self, other: TrainConfig) -> dict[str, tuple[Any, Any]]:
        """Fields whose values differ: ``{name: (self, other)}``."""
        a, b = self.to_dict(), other.to_dict()
        return {k: (a[k], b[k]) for k in a if a[k] != b[k]}


def read_run_config(path: str | os.PathLike) -> dict[str, Any]:
    """A run folder's ``config.json`` (written when the run started), checked before a resume
    trusts it.

    Raises:
        ConfigError: the file cannot be read, is not JSON, or holds no valid ``train`` options;
            the message names the file.
    """
    p = Path(path)
    fix = "restore it from a backup, or start a new run with another --run-dir"
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{p} cannot be read ({exc.strerror or exc}); {fix}") from exc
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise ConfigError(f"{p} is not valid JSON ({exc}); {fix}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("train"), dict):
        raise ConfigError(f"{p} has no 'train' options object; {fix}")
    try:
        TrainConfig.from_dict(data["train"])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{p} holds invalid training options ({exc}); {fix}") from exc
    return data
