"""The contract between a task and the training engine.

A recipe is any object with these members (duck-typed; :class:`Recipe` documents them for type
checkers):

* ``build_model() -> nn.Module`` — the network to train (called after seeding).
* ``train_loader()`` / ``val_loader()`` — iterables of batches (usually
  ``torch.utils.data.DataLoader``).
  A DataLoader with a random, sequential or weighted sampler gets the engine's
  :class:`~foveal.train.data.EpochSampler`, so the data order depends only on ``(seed, epoch)`` and
  is sharded across processes under DDP. A custom sampler should have ``set_epoch(epoch)``.
* ``training_step(model, batch) -> dict`` — ``{"loss": tensor, **floats to log}``. ``batch`` is
  already on the device. Call ``model(...)`` (under DDP it is the wrapped module); the bare network
  is ``foveal.train.unwrap(model)``.
* ``evaluate(model, loader) -> dict[str, float]`` — validation metrics (``model`` is the bare
  network, in eval mode, under ``torch.no_grad``), including ``main_metric``.
* ``main_metric: str`` and ``mode: "max" | "min"`` — how the best epoch is chosen.
* ``export(model, run_dir) -> Path`` — write the deployable model (ONNX with metadata) into
  ``run_dir``.

Optional members:

* ``name: str`` — the task name (default run folders are ``runs/<name>/<n>``).
* ``param_groups(model, lr) -> list[dict]`` — optimiser groups (e.g. discriminative learning rates);
  each dict has ``params`` and ``lr``, optionally ``weight_decay``.
* ``describe() -> dict`` — JSON facts about the recipe, saved in ``config.json`` and in checkpoints
  (e.g. architecture, classes, input size). Its ``"arch"`` entry is compared when loading
  checkpoints.
* ``finalize(model, run_dir, val_loader) -> dict`` — called once after training with the best model
  (rank 0), for task reports such as a confusion matrix PNG; returned floats go into
  ``summary.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Recipe(Protocol):
    main_metric: str
    mode: str

    def build_model(self) -> Any: ...

    def train_loader(self) -> Any: ...

    def val_loader(self) -> Any: ...

    def training_step(self, model: Any, batch: Any) -> dict[str, Any]: ...

    def evaluate(self, model: Any, loader: Any) -> dict[str, float]: ...

    def export(self, model: Any, run_dir: Path) -> Path: ...


REQUIRED = ("build_model", "train_loader", "val_loader", "training_step", "evaluate", "export")


def check_recipe(recipe: Any) -> None:
    """Raise :class:`foveal.errors.ConfigError` naming whatever the recipe lacks."""
    from foveal.errors import ConfigError

    missing = [m for m in REQUIRED if not callable(getattr(recipe, m, None))]
    missing += [a for a in ("main_metric", "mode") if not isinstance(getattr(recipe, a, None), str)]
    if missing:
        raise ConfigError(
            f"{type(recipe).__name__} is not a training recipe: it lacks {', '.join(missing)} "
            "(see foveal.train.recipe for the contract)"
        )
    if recipe.mode not in ("max", "min"):
        raise ConfigError(
            f"{type(recipe).__name__}.mode must be 'max' or 'min', got {recipe.mode!r}"
        )
