"""YOLOX's decoupled, anchor-free detection head.

Per level: a 1x1 stem, then two parallel branches of two 3x3 convs; the classification branch
predicts ``C`` class logits, the regression branch predicts 4 box offsets (``dx, dy, log w, log h``
relative to the cell, in units of the stride) and 1 objectness logit. One prediction per grid cell
("anchor point"), no anchor boxes.

Output layout (both methods): ``(B, A, 4 + 1 + C)`` with ``A`` all cells of all levels, row-major
level by level — the same layout as the official ONNX export.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from foveal.nn.backbones.cspdarknet import ConvBNAct, conv


class YOLOXHead(nn.Module):
    """Decoupled head.

    Args:
        num_classes: number of object classes.
        in_channels: channels of each input level.
        hidden: channels inside the head (YOLOX-Nano: 64).
        strides: stride of each level.
        depthwise: depthwise-separable 3x3 convs.
        prior_prob: initial class / objectness probability (bias init, Focal-loss style).
    """

    def __init__(
        self,
        num_classes: int = 80,
        in_channels: Sequence[int] = (64, 128, 256),
        *,
        hidden: int = 64,
        strides: Sequence[int] = (8, 16, 32),
        depthwise: bool = True,
        prior_prob: float = 0.01,
    ) -> None:
        super().__init__()
        if len(in_channels) != len(strides):
            raise ValueError(f"{len(in_channels)} input levels but {len(strides)} strides")
        self.num_classes = int(num_classes)
        self.strides = tuple(int(s) for s in strides)
        self.stems = nn.ModuleList(ConvBNAct(c, hidden, 1) for c in in_channels)
        self.cls_convs = nn.ModuleList(
            nn.Sequential(
                conv(hidden, hidden, 3, depthwise=depthwise),
                conv(hidden, hidden, 3, depthwise=depthwise),
            )
            for _ in in_channels
        )
        self.reg_convs = nn.ModuleList(
            nn.Sequential(
                conv(hidden, hidden, 3, depthwise=depthwise),
                conv(hidden, hidden, 3, depthwise=depthwise),
            )
            for _ in in_channels
        )
        self.cls_preds = nn.ModuleList(nn.Conv2d(hidden, self.num_classes, 1) for _ in in_channels)
        self.reg_preds = nn.ModuleList(nn.Conv2d(hidden, 4, 1) for _ in in_channels)
        self.obj_preds = nn.ModuleList(nn.Conv2d(hidden, 1, 1) for _ in in_channels)
        bias = -math.log((1 - prior_prob) / prior_prob)
        for m in (*self.cls_preds, *self.obj_preds):
            nn.init.constant_(m.bias, bias)

    def reset_classes(self, num_classes: int, prior_prob: float = 0.01) -> None:
        """Replace the class predictors (fine-tuning on a new label set); everything else is
        kept."""
        self.num_classes = int(num_classes)
        bias = -math.log((1 - prior_prob) / prior_prob)
        new = []
        for old in self.cls_preds:
            m = nn.Conv2d(old.in_channels, self.num_classes, 1)
            nn.init.constant_(m.bias, bias)
            new.append(m.to(old.weight.device))
        self.cls_preds = nn.ModuleList(new)

    def forward_logits(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """Raw ``(B, A, 5 + C)``: box offsets, objectness logit, class logits (no sigmoid)."""
        outs = []
        for k, x in enumerate(feats):
            x = self.stems[k](x)
            cls_out = self.cls_preds[k](self.cls_convs[k](x))
            reg_feat = self.reg_convs[k](x)
            out = torch.cat(
                (self.reg_preds[k](reg_feat), self.obj_preds[k](reg_feat), cls_out), dim=1
            )
            outs.append(out.flatten(start_dim=2))
        return torch.cat(outs, dim=2).permute(0, 2, 1)

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """Inference output ``(B, A, 5 + C)``: box offsets, then objectness and class
        probabilities."""
        raw = self.forward_logits(feats)
        return torch.cat((raw[..., :4], raw[..., 4:].sigmoid()), dim=-1)
