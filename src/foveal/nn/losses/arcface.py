"""ArcFace: additive angular margin softmax (Deng et al. 2019).

The logit of the true class is ``s * cos(theta + m)`` instead of ``s * cos(theta)``, where theta is
the angle between the L2-normalised embedding and the class centre (a learned weight row).

>>> import torch
>>> head = ArcFaceLoss(embedding_dim=4, num_classes=3)
>>> loss = head(torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1]))
>>> loss.ndim
0
"""

from __future__ import annotations

import math

import torch
from torch import nn


class ArcFaceLoss(nn.Module):
    """Cross-entropy over ArcFace logits; holds the class centres (drop them after training).

    Args:
        embedding_dim: size of the embeddings.
        num_classes: number of identities in the training set.
        scale: ``s``, the radius of the hypersphere (64 in the paper).
        margin: ``m``, the additive angular margin in radians (0.5 in the paper).
        easy_margin: apply the margin only where ``cos(theta) > 0``; by default, past
            ``theta + m > pi`` the logit continues as ``cos(theta) - m * sin(m)`` (monotone), as in
            InsightFace.
    """

    def __init__(
        self,
        embedding_dim: int,
        num_classes: int,
        *,
        scale: float = 64.0,
        margin: float = 0.5,
        easy_margin: bool = False,
    ) -> None:
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"ArcFace needs at least 2 classes, got {num_classes}")
        self.weight = nn.Parameter(torch.empty(num_classes, embedding_dim))
        nn.init.xavier_uniform_(self.weight)
        self.scale = float(scale)
        self.margin = float(margin)
        self.easy_margin = easy_margin
        self.cos_m, self.sin_m = math.cos(margin), math.sin(margin)
        self.th = math.cos(math.pi - margin)
        self.mm = math.sin(math.pi - margin) * margin

    def logits(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        cos = nn.functional.linear(
            nn.functional.normalize(embeddings, dim=1), nn.functional.normalize(self.weight, dim=1)
        )
        cos = cos.clamp(-1 + 1e-7, 1 - 1e-7)
        sin = torch.sqrt(1.0 - cos * cos)
        phi = cos * self.cos_m - sin * self.sin_m  # cos(theta + m)
        if self.easy_margin:
            phi = torch.where(cos > 0, phi, cos)
        else:
            phi = torch.where(cos > self.th, phi, cos - self.mm)
        onehot = nn.functional.one_hot(labels, cos.shape[1]).to(cos.dtype)
        return self.scale * (onehot * phi + (1.0 - onehot) * cos)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(self.logits(embeddings, labels), labels)
