"""YOLOX (Ge et al., 2021): backbone + PAFPN + decoupled anchor-free head, and loading the official
ONNX weights.

>>> net = yolox_nano()                                           # random weights, 80 classes
>>> net(torch.zeros(1, 3, 416, 416)).shape
torch.Size([1, 3549, 85])

``load_onnx_weights(net, "yolox_nano.onnx")`` copies the weights of Megvii's released ONNX file
(Conv+BN fused) into the network: each fused convolution's weight goes to ``conv.weight`` and its
bias to the following BatchNorm's ``bias``, with that BatchNorm set to identity (weight 1, running
mean 0, running variance ``1 - eps``), so that outputs match the ONNX file exactly and the network
can still be trained.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from foveal.errors import FovealError
from foveal.nn.backbones.cspdarknet import ConvBNAct, CSPDarknet
from foveal.nn.heads.yolox import YOLOXHead
from foveal.nn.necks.pafpn import PAFPN


class YOLOX(nn.Module):
    """A YOLOX detector. ``forward(x)`` returns ``(B, A, 5 + C)`` with sigmoid scores (the ONNX
    layout);
    ``forward(x, logits=True)`` (or ``forward_logits``) the same before the sigmoid, for training.

    ``freeze_bn = True`` keeps every BatchNorm in eval mode (running statistics, no updates) even in
    ``train()`` — the right thing when fine-tuning the fused pretrained weights with small batches.
    """

    def __init__(self, backbone: nn.Module, neck: nn.Module, head: YOLOXHead) -> None:
        super().__init__()
        self.backbone = backbone
        self.neck = neck
        self.head = head
        self.freeze_bn = False

    def train(self, mode: bool = True) -> YOLOX:
        super().train(mode)
        if mode and self.freeze_bn:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        return self

    @property
    def num_classes(self) -> int:
        return self.head.num_classes

    @property
    def strides(self) -> tuple[int, ...]:
        return self.head.strides

    def forward_logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.head.forward_logits(self.neck(self.backbone(x)))

    def forward(self, x: torch.Tensor, logits: bool = False) -> torch.Tensor:
        feats = self.neck(self.backbone(x))
        return self.head.forward_logits(feats) if logits else self.head(feats)


def yolox(
    *,
    num_classes: int = 80,
    depth: float = 0.33,
    width: float = 0.25,
    depthwise: bool = True,
    backbone: str | nn.Module | None = None,
    out_indices: Sequence[int] = (2, 3, 4),
) -> YOLOX:
    """Build a YOLOX. ``backbone=None`` uses CSPDarknet scaled by ``depth``/``width``; a name
    (``"mobilenet_v2"``, ``"efficientnet_lite0"``) or module uses that backbone's stride 8/16/32
    stages (``out_indices``), projected to YOLOX's neck channels."""
    neck_channels = (int(256 * width), int(512 * width), int(1024 * width))
    if backbone is None:
        body: nn.Module = CSPDarknet(depth=depth, width=width, depthwise=depthwise)
    elif isinstance(backbone, str):
        from foveal.nn.backbones import create_backbone

        body = create_backbone(backbone, features_only=True, out_indices=tuple(out_indices))
    else:
        body = backbone
    info = getattr(body, "feature_info", None)
    if not info or [f.reduction for f in info] != [8, 16, 32]:
        raise ValueError(
            "the backbone must return three feature maps at strides 8, 16, 32 (features_only)"
        )
    neck = PAFPN(
        tuple(f.num_chs for f in info), channels=neck_channels, depth=depth, depthwise=depthwise
    )
    head = YOLOXHead(num_classes, neck_channels, hidden=int(256 * width), depthwise=depthwise)
    return YOLOX(body, neck, head)


def yolox_nano(*, num_classes: int = 80, backbone: str | nn.Module | None = None) -> YOLOX:
    """YOLOX-Nano: depth 0.33, width 0.25, depthwise-separable convs (0.91 M parameters with 80
    classes)."""
    return yolox(num_classes=num_classes, depth=0.33, width=0.25, depthwise=True, backbone=backbone)


def yolox_tiny(*, num_classes: int = 80) -> YOLOX:
    """YOLOX-Tiny: depth 0.33, width 0.375, regular convs."""
    return yolox(num_classes=num_classes, depth=0.33, width=0.375, depthwise=False)


# --------------------------------------------------------------------------- ONNX weights
def _convs_in_call_order(net: nn.Module, input_size: tuple[int, int]) -> list[nn.Conv2d]:
    order: list[nn.Conv2d] = []
    hooks = [
        m.register_forward_hook(lambda mod, _i, _o: order.append(mod))
        for m in net.modules()
        if isinstance(m, nn.Conv2d)
    ]
    try:
        with torch.no_grad():
            net.eval()(torch.zeros(1, 3, *input_size))
    finally:
        for h in hooks:
            h.remove()
    return order


def load_onnx_weights(
    net: nn.Module, path: str | os.PathLike, *, input_size: tuple[int, int] = (64, 64)
) -> nn.Module:
    """Copy the convolutions of a YOLOX ONNX file (Conv+BN fused, as exported by Megvii) into
    ``net``.

    Convolutions are matched in execution order (the ONNX graph is a trace of the same forward
    pass), and every shape and group count is checked. A conv followed by BatchNorm gets the fused
    weight, and the BatchNorm becomes identity plus the fused bias.

    Raises:
        FovealError: the file's convolutions do not fit the network.
    """
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    inits = {t.name: t for t in model.graph.initializer}
    onnx_convs = [n for n in model.graph.node if n.op_type == "Conv"]
    ours = _convs_in_call_order(net, input_size)
    if len(ours) != len(onnx_convs):
        raise FovealError(
            f"{Path(path).name} has {len(onnx_convs)} convolutions, the network {len(ours)}: not "
            "the same architecture"
        )
    bn_of = {m.conv: m.bn for m in net.modules() if isinstance(m, ConvBNAct)}
    with torch.no_grad():
        for k, (node, mod) in enumerate(zip(onnx_convs, ours, strict=True)):
            group = next((a.i for a in node.attribute if a.name == "group"), 1)
            try:
                w = torch.from_numpy(numpy_helper.to_array(inits[node.input[1]]).copy())
                b = (
                    torch.from_numpy(numpy_helper.to_array(inits[node.input[2]]).copy())
                    if len(node.input) > 2
                    else None
                )
            except KeyError as exc:
                raise FovealError(
                    f"{Path(path).name}: conv {k} reads weights that are not initializers"
                ) from exc
            if tuple(w.shape) != tuple(mod.weight.shape) or group != mod.groups:
                raise FovealError(
                    f"{Path(path).name}: conv {k} ({node.name or node.output[0]}) has weight "
                    f"{tuple(w.shape)} groups {group}; the network expects "
                    f"{tuple(mod.weight.shape)} groups {mod.groups}"
                )
            mod.weight.copy_(w)
            bias = b if b is not None else torch.zeros(w.shape[0])
            bn = bn_of.get(mod)
            if bn is not None:
                bn.weight.fill_(1.0)
                bn.bias.copy_(bias)
                bn.running_mean.zero_()
                bn.running_var.fill_(1.0 - bn.eps)
            elif mod.bias is not None:
                mod.bias.copy_(bias)
            else:
                raise FovealError(
                    f"{Path(path).name}: conv {k} has a bias but the network's conv has none"
                )
    return net.eval()


def load_pretrained(spec: Any, *, weights: str | os.PathLike | None = None, **kwargs: Any) -> YOLOX:
    """Build a zoo detector's network and load its weights: the ONNX file (fused) or a PyTorch state
    dict."""
    from foveal.zoo.resolve import resolve_weights

    net = spec.build(**kwargs)
    path = resolve_weights(spec, weights)
    if path.suffix == ".onnx":
        return load_onnx_weights(net, path)  # type: ignore[return-value]
    from foveal.zoo.load import load_state_dict

    missing, unexpected = net.load_state_dict(load_state_dict(path), strict=False)
    if missing or unexpected:
        raise FovealError(
            f"{path} does not fit {spec.name}: missing {missing[:5]}, unexpected {unexpected[:5]}"
        )
    return net.eval()
