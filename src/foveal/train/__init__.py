"""The one training engine every foveal task uses.

A task supplies a *recipe* (see :class:`foveal.train.recipe.Recipe`); :class:`Trainer` runs it with
a typed :class:`TrainConfig`: optimiser, schedule with warm-up, gradient clipping, bf16 autocast,
early stopping, seeded and resumable epochs, atomic checkpoints, best-model selection, a progress
bar, a run folder (``config.json``, ``metrics.csv``, PNG plots) and DDP under ``torchrun``.

>>> from foveal.train import Trainer, TrainConfig
>>> config = TrainConfig(epochs=5, lr=1e-3, run_dir="runs/demo")
>>> config.optimizer, config.schedule
('adamw', 'cosine')

With a task's recipe (such as :class:`foveal.tasks.classify.train.ClassificationRecipe`),
training takes minutes, so this part is not run here::

    result = Trainer(recipe, config).fit()
    result.best_metric, result.export_path     # the best epoch's main metric, runs/demo/model.onnx

Importing this package is cheap: torch is imported when :class:`Trainer` is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from foveal.train.config import TrainConfig
from foveal.train.recipe import Recipe

if TYPE_CHECKING:  # pragma: no cover
    from foveal.train.checkpoint import CheckpointError
    from foveal.train.data import EpochSampler
    from foveal.train.distributed import unwrap
    from foveal.train.trainer import FitResult, Trainer

__all__ = [
    "CheckpointError",
    "EpochSampler",
    "FitResult",
    "Recipe",
    "TrainConfig",
    "Trainer",
    "unwrap",
]

_LAZY = {
    "Trainer": "foveal.train.trainer",
    "FitResult": "foveal.train.trainer",
    "EpochSampler": "foveal.train.data",
    "CheckpointError": "foveal.train.checkpoint",
    "unwrap": "foveal.train.distributed",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'foveal.train' has no attribute {name!r}")
