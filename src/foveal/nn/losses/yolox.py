"""YOLOX training losses with SimOTA label assignment (Ge et al., 2021, section 2.2 "SimOTA").

For each image, SimOTA picks the positive anchor points of every ground-truth box:

1. candidates: points whose centre is inside the box, or within ``center_radius`` strides of its
   centre;
2. cost of (box, point) = class cost (BCE of ``sqrt(sigmoid(cls) * sigmoid(obj))`` against the box's
   class) ``+ 3 x`` IoU cost (``-log IoU``) ``+ 1e5`` if the point is not both inside the box *and*
   near its centre;
3. dynamic k per box = ``max(1, int(sum of its 10 best IoUs))``; its ``k`` cheapest points become
   positives;
4. a point claimed by several boxes goes to the cheapest one.

Losses, normalised by the number of positives: ``5 x`` IoU loss (``1 - IoU^2``) on positive boxes,
BCE objectness on all points (target 1 for positives), BCE classification on positives with
IoU-aware targets (one-hot x IoU of the prediction with its box).

>>> logits = torch.zeros(1, 3549, 5 + 3)
>>> # class, x1, y1, x2, y2 (input pixels)
>>> targets = [torch.tensor([[0, 100.0, 100.0, 200.0, 220.0]])]
>>> out = yolox_loss(logits, targets, input_size=(416, 416))
>>> sorted(out)
['loss', 'loss_cls', 'loss_iou', 'loss_obj', 'num_fg']
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def anchor_points(
    input_size: tuple[int, int], strides: Sequence[int], device: torch.device | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cell offsets ``(A, 2)`` (x, y) and strides ``(A,)`` of every anchor point, same order as the
    head's output."""
    grids, steps = [], []
    for s in strides:
        hs, ws = input_size[0] // s, input_size[1] // s
        ys, xs = torch.meshgrid(
            torch.arange(hs, device=device), torch.arange(ws, device=device), indexing="ij"
        )
        grids.append(torch.stack((xs, ys), dim=-1).reshape(-1, 2))
        steps.append(torch.full((hs * ws,), float(s), device=device))
    return torch.cat(grids).float(), torch.cat(steps)


def decode_cxcywh(raw: torch.Tensor, grid: torch.Tensor, stride: torch.Tensor) -> torch.Tensor:
    """Raw box outputs ``(..., A, 4)`` -> ``cx, cy, w, h`` in input pixels."""
    xy = (raw[..., :2] + grid) * stride[:, None]
    wh = torch.exp(raw[..., 2:4].clamp(max=15.0)) * stride[:, None]
    return torch.cat((xy, wh), dim=-1)


def pairwise_iou_cxcywh(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU matrix ``(len(a), len(b))`` of ``cx, cy, w, h`` boxes."""
    a1, a2 = a[:, None, :2] - a[:, None, 2:] / 2, a[:, None, :2] + a[:, None, 2:] / 2
    b1, b2 = b[None, :, :2] - b[None, :, 2:] / 2, b[None, :, :2] + b[None, :, 2:] / 2
    inter = (torch.min(a2, b2) - torch.max(a1, b1)).clamp(min=0).prod(-1)
    union = a[:, None, 2:].prod(-1) + b[None, :, 2:].prod(-1) - inter
    return inter / union.clamp(min=1e-9)


def iou_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-box ``1 - IoU^2`` of matching ``cx, cy, w, h`` boxes."""
    p1, p2 = pred[:, :2] - pred[:, 2:] / 2, pred[:, :2] + pred[:, 2:] / 2
    t1, t2 = target[:, :2] - target[:, 2:] / 2, target[:, :2] + target[:, 2:] / 2
    inter = (torch.min(p2, t2) - torch.max(p1, t1)).clamp(min=0).prod(-1)
    union = pred[:, 2:].prod(-1) + target[:, 2:].prod(-1) - inter
    iou = inter / union.clamp(min=1e-16)
    return 1 - iou**2


@torch.no_grad()
def simota_assign(
    boxes: torch.Tensor,
    cls_logits: torch.Tensor,
    obj_logits: torch.Tensor,
    gt_boxes: torch.Tensor,
    gt_classes: torch.Tensor,
    grid: torch.Tensor,
    stride: torch.Tensor,
    *,
    center_radius: float = 2.5,
    candidates_k: int = 10,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """SimOTA for one image.

    Args:
        boxes: ``(A, 4)`` predicted ``cx, cy, w, h``; cls_logits ``(A, C)``; obj_logits ``(A,)``.
        gt_boxes: ``(G, 4)`` ground truth ``cx, cy, w, h``; gt_classes ``(G,)``.

    Returns:
        ``fg_mask (A,)`` bool, ``matched_gt (F,)`` box index of each positive, ``matched_iou (F,)``.
    """
    centers = (grid + 0.5) * stride[:, None]  # (A, 2)
    g1 = gt_boxes[:, None, :2] - gt_boxes[:, None, 2:] / 2
    g2 = gt_boxes[:, None, :2] + gt_boxes[:, None, 2:] / 2
    in_box = ((centers[None] > g1) & (centers[None] < g2)).all(-1)  # (G, A)
    radius = center_radius * stride[None, :, None]
    in_center = (
        (centers[None] > gt_boxes[:, None, :2] - radius)
        & (centers[None] < gt_boxes[:, None, :2] + radius)
    ).all(-1)
    candidate = (in_box | in_center).any(0)  # (A,)
    num_anchors = boxes.shape[0]
    fg_mask = torch.zeros(num_anchors, dtype=torch.bool, device=boxes.device)
    if not candidate.any():
        empty = torch.zeros(0, dtype=torch.long, device=boxes.device)
        return fg_mask, empty, empty.float()
    cand_idx = torch.nonzero(candidate).squeeze(1)
    ious = pairwise_iou_cxcywh(gt_boxes, boxes[cand_idx])  # (G, K)
    iou_cost = -torch.log(ious + 1e-8)
    num_classes = cls_logits.shape[1]
    probs = (
        cls_logits[cand_idx].float().sigmoid() * obj_logits[cand_idx, None].float().sigmoid()
    ).sqrt()  # (K, C)
    onehot = F.one_hot(gt_classes.long(), num_classes).float()  # (G, C)
    p = probs[None].expand(len(gt_boxes), -1, -1).clamp(1e-7, 1 - 1e-7)
    cls_cost = -(onehot[:, None] * torch.log(p) + (1 - onehot[:, None]) * torch.log(1 - p)).sum(
        -1
    )  # (G, K)
    both = (in_box & in_center)[:, cand_idx]
    cost = cls_cost + 3.0 * iou_cost + 1e5 * (~both).float()

    matching = torch.zeros_like(cost, dtype=torch.bool)
    k = min(candidates_k, ious.shape[1])
    dynamic_k = ious.topk(k, dim=1).values.sum(1).int().clamp(min=1)
    for g in range(len(gt_boxes)):
        idx = cost[g].topk(int(dynamic_k[g]), largest=False).indices
        matching[g, idx] = True
    multiple = matching.sum(0) > 1
    if multiple.any():
        best = cost[:, multiple].argmin(0)
        matching[:, multiple] = False
        matching[best, multiple] = True
    fg_cand = matching.any(0)
    matched_gt = matching[:, fg_cand].float().argmax(0)
    matched_iou = (matching.float() * ious).sum(0)[fg_cand]
    fg_mask[cand_idx[fg_cand]] = True
    return fg_mask, matched_gt, matched_iou


def yolox_loss(
    logits: torch.Tensor,
    targets: Sequence[torch.Tensor],
    *,
    input_size: tuple[int, int],
    strides: Sequence[int] = (8, 16, 32),
    iou_weight: float = 5.0,
) -> dict[str, torch.Tensor | float]:
    """YOLOX losses for a batch.

    Args:
        logits: ``(B, A, 5 + C)`` from ``YOLOX.forward_logits`` (no sigmoid).
        targets: per image, a ``(G, 5)`` tensor ``[class, x1, y1, x2, y2]`` in network-input pixels
            (``G`` may be 0).
        input_size: ``(h, w)`` of the network input.

    Returns:
        ``{"loss": total (tensor), "loss_iou", "loss_obj", "loss_cls", "num_fg"}`` (floats, for
        logging).
    """
    grid, stride = anchor_points(input_size, strides, logits.device)
    if logits.shape[1] != len(grid):
        raise ValueError(
            f"logits have {logits.shape[1]} anchor points; {input_size} with strides "
            f"{tuple(strides)} has {len(grid)}"
        )
    boxes = decode_cxcywh(logits[..., :4].float(), grid, stride)  # (B, A, 4)
    obj = logits[..., 4].float()
    cls = logits[..., 5:].float()
    num_classes = cls.shape[-1]
    fg_masks, cls_targets, box_targets, box_preds, cls_preds = [], [], [], [], []
    for b, target in enumerate(targets):
        target = target.to(logits.device).float().reshape(-1, 5)
        if len(target) == 0:
            fg_masks.append(torch.zeros(len(grid), dtype=torch.bool, device=logits.device))
            continue
        gt = torch.cat(
            (
                (target[:, 1:3] + target[:, 3:5]) / 2,
                (target[:, 3:5] - target[:, 1:3]).clamp(min=1e-3),
            ),
            dim=1,
        )
        fg, matched, miou = simota_assign(
            boxes[b].detach(), cls[b].detach(), obj[b].detach(), gt, target[:, 0], grid, stride
        )
        fg_masks.append(fg)
        if fg.any():
            cls_targets.append(
                F.one_hot(target[matched, 0].long(), num_classes).float() * miou[:, None]
            )
            box_targets.append(gt[matched])
            box_preds.append(boxes[b][fg])
            cls_preds.append(cls[b][fg])
    fg_all = torch.stack(fg_masks)
    num_fg = max(int(fg_all.sum()), 1)
    loss_obj = F.binary_cross_entropy_with_logits(obj, fg_all.float(), reduction="sum") / num_fg
    if box_preds:
        loss_iou = iou_loss(torch.cat(box_preds), torch.cat(box_targets)).sum() / num_fg
        loss_cls = (
            F.binary_cross_entropy_with_logits(
                torch.cat(cls_preds), torch.cat(cls_targets), reduction="sum"
            )
            / num_fg
        )
    else:
        loss_iou = loss_cls = logits.sum() * 0.0
    total = iou_weight * loss_iou + loss_obj + loss_cls
    return {
        "loss": total,
        "loss_iou": float(loss_iou.detach()),
        "loss_obj": float(loss_obj.detach()),
        "loss_cls": float(loss_cls.detach()),
        "num_fg": float(fg_all.sum()),
    }
