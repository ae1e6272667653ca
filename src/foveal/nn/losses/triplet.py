"""Triplet loss with batch-hard mining (Hermans et al. 2017, "In Defense of the Triplet Loss").

>>> import torch
>>> emb = torch.tensor([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
>>> float(TripletLoss(margin=0.2, normalize=False)(emb, torch.tensor([0, 0, 1, 1])))
0.0
"""

from __future__ import annotations

import torch
from torch import nn


class TripletLoss(nn.Module):
    """For every anchor: its farthest positive and closest negative in the batch,
    ``mean(relu(d(a, p) - d(a, n) + margin))`` over anchors that have both.

    Args:
        margin: required gap between the positive and negative distances.
        normalize: L2-normalise embeddings first (distances then lie in [0, 2]).
    """

    def __init__(self, margin: float = 0.2, *, normalize: bool = True) -> None:
        super().__init__()
        if margin < 0:
            raise ValueError(f"margin must be >= 0, got {margin}")
        self.margin = float(margin)
        self.normalize = normalize

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        x = nn.functional.normalize(embeddings, dim=1) if self.normalize else embeddings
        d = torch.cdist(x, x).clamp_min(0)
        same = labels[:, None] == labels[None, :]
        eye = torch.eye(len(x), dtype=torch.bool, device=x.device)
        pos_mask = same & ~eye
        neg_mask = ~same
        valid = pos_mask.any(1) & neg_mask.any(1)
        if not bool(valid.any()):
            return x.sum() * 0.0  # no usable triplet in this batch: a zero that keeps the graph
        hardest_pos = torch.where(pos_mask, d, torch.zeros_like(d)).amax(1)
        hardest_neg = torch.where(neg_mask, d, torch.full_like(d, float("inf"))).amin(1)
        loss = torch.relu(hardest_pos - hardest_neg + self.margin)
        return loss[valid].mean()
