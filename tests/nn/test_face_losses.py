"""Triplet and ArcFace losses against values computed by hand from their definitions."""

from __future__ import annotations

import math

import pytest
import torch

from foveal.nn.losses import ArcFaceLoss, TripletLoss


def test_triplet_batch_hard_by_hand():
    # 1-D points, no normalisation: class 0 at 0 and 1, class 1 at 1.5 and 4
    emb = torch.tensor([[0.0], [1.0], [1.5], [4.0]], requires_grad=True)
    labels = torch.tensor([0, 0, 1, 1])
    loss = TripletLoss(margin=0.5, normalize=False)(emb, labels)
    # anchor 0: pos 1.0, neg min(1.5, 4) = 1.5 -> relu(1 - 1.5 + .5) = 0
    # anchor 1: pos 1.0, neg 0.5 -> 1.0 ; anchor 2: pos 2.5, neg 0.5 -> 2.5 ;
    # anchor 3: pos 2.5, neg 3 -> 0
    assert float(loss.detach()) == pytest.approx((0 + 1.0 + 2.5 + 0) / 4)
    loss.backward()
    assert emb.grad is not None and emb.grad.abs().sum() > 0


def test_triplet_without_pairs_is_zero_with_graph():
    emb = torch.randn(3, 8, requires_grad=True)
    loss = TripletLoss()(emb, torch.tensor([0, 1, 2]))
    assert float(loss.detach()) == 0.0
    loss.backward()


def test_arcface_logits_by_hand():
    head = ArcFaceLoss(embedding_dim=2, num_classes=2, scale=10.0, margin=0.3)
    with torch.no_grad():
        head.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    theta = 0.4
    emb = torch.tensor([[math.cos(theta), math.sin(theta)]]) * 3.0  # the norm must not matter
    logits = head.logits(emb, torch.tensor([0]))
    assert logits[0, 0].item() == pytest.approx(10 * math.cos(theta + 0.3), abs=1e-5)
    assert logits[0, 1].item() == pytest.approx(10 * math.cos(math.pi / 2 - theta), abs=1e-5)
    expected = -torch.log_softmax(logits, 1)[0, 0]
    assert head(emb, torch.tensor([0])).item() == pytest.approx(expected.item(), abs=1e-6)


def test_arcface_learns_a_separable_toy_problem():
    torch.manual_seed(0)
    x = torch.cat([torch.randn(32, 4) + 3, torch.randn(32, 4) - 3])
    y = torch.cat([torch.zeros(32, dtype=torch.long), torch.ones(32, dtype=torch.long)])
    net = torch.nn.Linear(4, 8)
    head = ArcFaceLoss(8, 2, scale=16.0, margin=0.2)
    opt = torch.optim.SGD(list(net.parameters()) + list(head.parameters()), lr=0.1)
    first = None
    for _ in range(60):
        loss = head(net(x), y)
        first = float(loss.detach()) if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < first * 0.5
