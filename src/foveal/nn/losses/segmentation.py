"""Per-pixel segmentation losses, binary and multi-class.

``logits`` are ``(B, C, H, W)``; ``target`` is ``(B, H, W)`` integer class ids. ``C == 1`` is the
binary case (a sigmoid; target 0/1), ``C > 1`` the multi-class one (a softmax). Pixels whose target
is ``ignore_index`` count in no loss.

* ``ce``: cross-entropy (binary: BCE);
* ``dice``: 1 - soft Dice, averaged over classes (binary: over both foreground and background);
* ``bce_dice`` (``ce_dice`` is the same name): cross-entropy + Dice, the usual default;
* ``focal``: focal loss (Lin et al. 2017), ``(1 - p_t)**gamma`` down-weights easy pixels.

>>> import torch
>>> t = torch.tensor([[[0, 1], [1, 0]]])
>>> perfect = (t[:, None].float() * 2 - 1) * 20          # binary logits that are sure and right
>>> round(float(segmentation_loss(perfect, t, "bce_dice")), 4)
0.0
>>> segmentation_loss(torch.zeros(1, 3, 2, 2), t, "focal").ndim
0
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

LOSSES = ("ce", "dice", "bce_dice", "ce_dice", "focal")
IGNORE_INDEX = 255


def class_probabilities(logits: torch.Tensor) -> torch.Tensor:
    """``(B, K, H, W)`` probabilities of every class: sigmoid for one channel (K = 2: background,
    foreground), softmax otherwise."""
    if logits.shape[1] == 1:
        p = torch.sigmoid(logits)
        return torch.cat((1 - p, p), dim=1)
    return torch.softmax(logits, dim=1)


def cross_entropy(
    logits: torch.Tensor, target: torch.Tensor, ignore_index: int = IGNORE_INDEX
) -> torch.Tensor:
    """Pixel-averaged cross-entropy (BCE for one channel)."""
    valid = target != ignore_index
    if logits.shape[1] == 1:
        loss = F.binary_cross_entropy_with_logits(
            logits[:, 0], (target == 1).float(), reduction="none"
        )
        return (loss * valid).sum() / valid.sum().clamp(min=1)
    return F.cross_entropy(logits, target.long(), ignore_index=ignore_index)


def dice_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    ignore_index: int = IGNORE_INDEX,
    smooth: float = 1.0,
) -> torch.Tensor:
    """``1 - mean over classes of 2|P∩T| / (|P| + |T|)`` with soft predictions, over the batch."""
    probs = class_probabilities(logits.float())
    k = probs.shape[1]
    valid = (target != ignore_index)[:, None].float()
    onehot = F.one_hot(torch.where(target == ignore_index, 0, target).long(), k)
    onehot = onehot.permute(0, 3, 1, 2).float()
    probs, onehot = probs * valid, onehot * valid
    inter = (probs * onehot).sum(dim=(0, 2, 3))
    total = probs.sum(dim=(0, 2, 3)) + onehot.sum(dim=(0, 2, 3))
    return 1.0 - ((2 * inter + smooth) / (total + smooth)).mean()


def focal_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    gamma: float = 2.0,
    ignore_index: int = IGNORE_INDEX,
) -> torch.Tensor:
    """``-(1 - p_t)**gamma * log(p_t)`` averaged over valid pixels."""
    probs = class_probabilities(logits.float()).clamp(1e-7, 1.0)
    valid = target != ignore_index
    idx = torch.where(valid, target, 0).long()[:, None]
    pt = probs.gather(1, idx)[:, 0]
    loss = -((1 - pt) ** gamma) * torch.log(pt)
    return (loss * valid).sum() / valid.sum().clamp(min=1)


def segmentation_loss(
    logits: torch.Tensor, target: torch.Tensor, kind: str = "bce_dice"
) -> torch.Tensor:
    """The loss named ``kind`` (one of :data:`LOSSES`)."""
    if kind == "ce":
        return cross_entropy(logits, target)
    if kind == "dice":
        return dice_loss(logits, target)
    if kind in ("bce_dice", "ce_dice"):
        return cross_entropy(logits, target) + dice_loss(logits, target)
    if kind == "focal":
        return focal_loss(logits, target)
    raise ValueError(f"unknown segmentation loss {kind!r}; known: {', '.join(LOSSES)}")
