"""Optimiser and per-step learning-rate schedule built from a :class:`TrainConfig`."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from foveal.errors import ConfigError
from foveal.train.config import TrainConfig


def default_param_groups(
    model: torch.nn.Module, lr: float, weight_decay: float
) -> list[dict[str, Any]]:
    """Trainable parameters in two groups: with weight decay, and without (biases, norm layers)."""
    decay, no_decay = [], []
    for _, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim <= 1 else decay).append(p)
    groups = [{"params": decay, "lr": lr, "weight_decay": weight_decay}]
    if no_decay:
        groups.append({"params": no_decay, "lr": lr, "weight_decay": 0.0})
    return [g for g in groups if g["params"]]


def build_optimizer(model: torch.nn.Module, recipe: Any, cfg: TrainConfig) -> torch.optim.Optimizer:
    """AdamW or SGD over the recipe's ``param_groups(model, lr)`` (if any) or the default groups."""
    if hasattr(recipe, "param_groups"):
        groups = list(recipe.param_groups(model, cfg.lr))
        for g in groups:
            g.setdefault("lr", cfg.lr)
            g.setdefault("weight_decay", cfg.weight_decay)
            g["params"] = [p for p in g["params"] if p.requires_grad]
        groups = [g for g in groups if g["params"]]
    else:
        groups = default_param_groups(model, cfg.lr, cfg.weight_decay)
    if not groups:
        raise ConfigError("the model has no trainable parameters (everything is frozen)")
    for g in groups:
        g["peak_lr"] = g["lr"]
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr)
    return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.momentum > 0)


def lr_factor(cfg: TrainConfig, steps_per_epoch: int) -> Callable[[int], float]:
    """The multiplier of each group's peak learning rate at optimiser step ``i`` (0-based)."""
    total = max(1, cfg.epochs * steps_per_epoch)
    if cfg.schedule == "onecycle":
        warm = int(round((cfg.warmup_epochs or 0.3 * cfg.epochs) * steps_per_epoch))
        start, end = 1.0 / 25.0, 1.0 / 1e4
    else:
        warm = int(round(cfg.warmup_epochs * steps_per_epoch))
        start, end = 0.01, cfg.min_lr_ratio
    warm = min(warm, total - 1) if total > 1 else 0

    def factor(i: int) -> float:
        if i < warm:
            t = i / max(1, warm)
            if cfg.schedule == "onecycle":
                return start + (1 - start) * (1 - math.cos(math.pi * t)) / 2
            return start + (1 - start) * t
        if cfg.schedule == "constant":
            return 1.0
        t = min(1.0, (i - warm) / max(1, total - warm))
        return end + (1 - end) * (1 + math.cos(math.pi * t)) / 2

    return factor


class Schedule:
    """Sets every group's ``lr = peak_lr * factor(step)``; its state is just the step count."""

    def __init__(self, optimizer: torch.optim.Optimizer, factor: Callable[[int], float]) -> None:
        self.optimizer = optimizer
        self.factor = factor
        self.step_count = 0
        self._apply()

    def _apply(self) -> None:
        f = self.factor(self.step_count)
        for g in self.optimizer.param_groups:
            g["lr"] = g["peak_lr"] * f

    def step(self) -> None:
        self.step_count += 1
        self._apply()

    def last_lr(self) -> float:
        """The largest group learning rate now (the head's, with discriminative groups)."""
        return max(g["lr"] for g in self.optimizer.param_groups)

    def state_dict(self) -> dict[str, int]:
        return {"step_count": self.step_count}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.step_count = int(state["step_count"])
        self._apply()
