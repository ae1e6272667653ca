"""The brightness task: is an image bright? (the task docs/adding-a-task.md adds, step by step)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from foveal.errors import ConfigError
from foveal.tasks.predictor import Predictor


@dataclass(frozen=True)
class Brightness:
    """The result for one image: its mean brightness in [0, 1] and whether that is bright."""

    mean: float
    bright: bool

    def to_dict(self) -> dict[str, Any]:
        return {"mean": round(self.mean, 4), "bright": self.bright}


@dataclass(frozen=True)
class BrightnessOptions:
    """The call options: an image is bright when its mean is at least ``threshold``."""

    threshold: float = 0.5


class BrightnessPredictor(Predictor[Brightness]):
    """Mean brightness of RGB images (no network: a task can be plain numpy)."""

    task = "brightness"
    Options = BrightnessOptions
    batch_size = 16

    def check_options(self, options: BrightnessOptions) -> BrightnessOptions:
        if not 0.0 <= options.threshold <= 1.0:
            raise ConfigError(f"threshold must be within 0..1, got {options.threshold}")
        return options

    def prepare(self, image: np.ndarray) -> float:
        return float(image.mean()) / 255.0

    def run(self, prepared: list[float], options: BrightnessOptions) -> list[Brightness]:
        return [Brightness(m, m >= options.threshold) for m in prepared]
