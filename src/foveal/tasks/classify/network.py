"""The network ``foveal train classify`` trains: a zoo backbone with a new head, and the way
back from a run folder to it.

With a run folder of ``foveal train classify`` (here trained on ``flowers/daisy``,
``flowers/rose``)::

    from foveal.tasks.classify.network import load_trained
    model, info = load_trained("runs/classify/1")     # the best checkpoint's network
    info["classes"], info["base_model"]     # (['daisy', 'rose'], 'mobilenet_v2.imagenet')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from foveal.zoo import get


class TrainableClassifier(nn.Module):
    """A zoo backbone with a new head. With ``freeze_backbone`` only the head trains, and the
    backbone's batch-norm layers stay in inference mode (a true linear probe)."""

    def __init__(self, net: nn.Module, *, freeze_backbone: bool = False) -> None:
        super().__init__()
        self.net = net
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            head = {id(p) for p in net.classifier.parameters()}
            for p in net.parameters():
                p.requires_grad_(id(p) in head)

    def train(self, mode: bool = True) -> TrainableClassifier:
        super().train(mode)
        if mode and self.freeze_backbone:
            self.net.eval()
            self.net.classifier.train()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images ``(N, C, H, W)`` -> logits; pooled features ``(N, D)`` (the linear probe's
        cached features) -> the head's logits."""
        if x.ndim == 2:
            return self.net.classifier(x)
        return self.net(x)


def load_trained(run: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """The PyTorch network of a classification run folder (best checkpoint) and its description."""
    from foveal.train.checkpoint import CheckpointError, check_compatible, fingerprint, load

    ckpt = load(run)
    info = ckpt.get("recipe", {})
    if "classes" not in info or "base_model" not in info:
        raise CheckpointError(
            f"{ckpt['path']} is not from a classification run (foveal train classify)"
        )
    spec = get(info["base_model"])
    net = spec.build()
    net.reset_classifier(len(info["classes"]))
    model = TrainableClassifier(net)
    check_compatible(
        ckpt,
        fingerprint(model, info.get("arch")),
        what=f"{spec.name} with {len(info['classes'])} classes",
    )
    model.load_state_dict(ckpt["model"])
    return model.eval(), info
