"""PAFPN (Path Aggregation Feature Pyramid): top-down then bottom-up fusion of three feature levels.

This is the YOLOX neck. Inputs are the stride 8 / 16 / 32 maps ``(c3, c4, c5)``; outputs have the
same channels and strides. Any backbone works: when its channels differ from ``channels``, 1x1
projections are added first (e.g. MobileNetV2's 32 / 96 / 1280 to 64 / 128 / 256).

>>> neck = PAFPN((64, 128, 256), depth=0.33, depthwise=True)
>>> [
...     o.shape[1]
...     for o in neck(
...         [torch.zeros(1, 64, 8, 8), torch.zeros(1, 128, 4, 4), torch.zeros(1, 256, 2, 2)]
...     )
... ]
[64, 128, 256]
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from foveal.nn.backbones.cspdarknet import ConvBNAct, CSPLayer, conv


class PAFPN(nn.Module):
    """YOLOX's PAFPN.

    Args:
        in_channels: channels of the three input maps (strides 8, 16, 32).
        channels: channels inside and out of the neck (default: ``in_channels``).
        depth: depth multiplier (bottlenecks per CSP block = ``round(3 * depth)``).
        depthwise: depthwise-separable 3x3 convolutions (YOLOX-Nano).
    """

    def __init__(
        self,
        in_channels: Sequence[int] = (64, 128, 256),
        *,
        channels: Sequence[int] | None = None,
        depth: float = 0.33,
        depthwise: bool = True,
    ) -> None:
        super().__init__()
        if len(in_channels) != 3:
            raise ValueError(f"PAFPN takes three feature levels; got channels {tuple(in_channels)}")
        c3, c4, c5 = channels or in_channels
        self.out_channels = (c3, c4, c5)
        self.proj = nn.ModuleList(
            nn.Identity() if cin == cout else ConvBNAct(cin, cout, 1)
            for cin, cout in zip(in_channels, (c3, c4, c5), strict=True)
        )
        n = max(round(3 * depth), 1)
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest")
        # top-down
        self.lateral_conv0 = ConvBNAct(c5, c4, 1)
        self.C3_p4 = CSPLayer(2 * c4, c4, n, shortcut=False, depthwise=depthwise)
        self.reduce_conv1 = ConvBNAct(c4, c3, 1)
        self.C3_p3 = CSPLayer(2 * c3, c3, n, shortcut=False, depthwise=depthwise)
        # bottom-up
        self.bu_conv2 = conv(c3, c3, 3, 2, depthwise=depthwise)
        self.C3_n3 = CSPLayer(2 * c3, c4, n, shortcut=False, depthwise=depthwise)
        self.bu_conv1 = conv(c4, c4, 3, 2, depthwise=depthwise)
        self.C3_n4 = CSPLayer(2 * c4, c5, n, shortcut=False, depthwise=depthwise)

    def forward(self, feats: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        x3, x4, x5 = (p(f) for p, f in zip(self.proj, feats, strict=True))
        top5 = self.lateral_conv0(x5)  # stride 32, c4
        p4 = self.C3_p4(torch.cat((self.upsample(top5), x4), dim=1))
        top4 = self.reduce_conv1(p4)  # stride 16, c3
        out3 = self.C3_p3(torch.cat((self.upsample(top4), x3), dim=1))
        out4 = self.C3_n3(torch.cat((self.bu_conv2(out3), top4), dim=1))
        out5 = self.C3_n4(torch.cat((self.bu_conv1(out4), top5), dim=1))
        return [out3, out4, out5]
