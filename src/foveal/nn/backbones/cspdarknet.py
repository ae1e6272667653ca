"""CSPDarknet (the YOLOX backbone, Ge et al. 2021, "YOLOX: Exceeding YOLO Series in 2021"), and its
blocks.

Conv blocks are ``Conv2d(bias=False) -> BatchNorm2d -> SiLU``. ``depth``/``width`` multipliers give
the YOLOX sizes (nano: 0.33 / 0.25 with depthwise-separable convolutions; tiny: 0.33 / 0.375; s:
0.33 / 0.50). Stages: stem (Focus, /2), dark2 (/4), dark3 (/8), dark4 (/16), dark5 (/32).

>>> net = cspdarknet(depth=0.33, width=0.25, depthwise=True)         # YOLOX-Nano's backbone
>>> [f.num_chs for f in net.feature_info], [f.reduction for f in net.feature_info]
([64, 128, 256], [8, 16, 32])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from foveal.nn.backbones.base import Backbone, FeatureInfo

BN_EPS = 1e-3
BN_MOMENTUM = 0.03


class ConvBNAct(nn.Module):
    """``Conv2d`` (no bias, "same" padding) -> ``BatchNorm2d`` -> ``SiLU``."""

    def __init__(
        self,
        cin: int,
        cout: int,
        kernel: int = 1,
        stride: int = 1,
        groups: int = 1,
        act: bool = True,
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(
            cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False
        )
        self.bn = nn.BatchNorm2d(cout, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.act = nn.SiLU(inplace=True) if act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class DWConv(nn.Module):
    """Depthwise-separable convolution: a ``k x k`` depthwise ConvBNAct then a 1x1 pointwise
    ConvBNAct."""

    def __init__(self, cin: int, cout: int, kernel: int = 3, stride: int = 1) -> None:
        super().__init__()
        self.dconv = ConvBNAct(cin, cin, kernel, stride, groups=cin)
        self.pconv = ConvBNAct(cin, cout, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pconv(self.dconv(x))


def conv(
    cin: int, cout: int, kernel: int, stride: int = 1, *, depthwise: bool = False
) -> nn.Module:
    """A ``kernel x kernel`` conv block, depthwise-separable when ``depthwise``."""
    return DWConv(cin, cout, kernel, stride) if depthwise else ConvBNAct(cin, cout, kernel, stride)


class Bottleneck(nn.Module):
    """1x1 conv -> 3x3 conv, with a residual connection when ``shortcut`` and shapes allow."""

    def __init__(
        self,
        cin: int,
        cout: int,
        *,
        shortcut: bool = True,
        expansion: float = 0.5,
        depthwise: bool = False,
    ) -> None:
        super().__init__()
        hidden = int(cout * expansion)
        self.conv1 = ConvBNAct(cin, hidden, 1)
        self.conv2 = conv(hidden, cout, 3, depthwise=depthwise)
        self.use_add = shortcut and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2(self.conv1(x))
        return x + y if self.use_add else y


class CSPLayer(nn.Module):
    """Cross Stage Partial block: two 1x1 branches, ``n`` bottlenecks on one, concatenated, fused by
    a 1x1."""

    def __init__(
        self,
        cin: int,
        cout: int,
        n: int = 1,
        *,
        shortcut: bool = True,
        expansion: float = 0.5,
        depthwise: bool = False,
    ) -> None:
        super().__init__()
        hidden = int(cout * expansion)
        self.conv1 = ConvBNAct(cin, hidden, 1)
        self.conv2 = ConvBNAct(cin, hidden, 1)
        self.conv3 = ConvBNAct(2 * hidden, cout, 1)
        self.m = nn.Sequential(
            *(
                Bottleneck(hidden, hidden, shortcut=shortcut, expansion=1.0, depthwise=depthwise)
                for _ in range(n)
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.conv1(x)
        b = self.conv2(x)
        return self.conv3(torch.cat((self.m(a), b), dim=1))


class Focus(nn.Module):
    """Space-to-depth (each 2x2 patch to 4 channels: top-left, bottom-left, top-right,
    bottom-right), then a conv."""

    def __init__(self, cin: int, cout: int, kernel: int = 3) -> None:
        super().__init__()
        self.conv = ConvBNAct(cin * 4, cout, kernel, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tl = x[..., ::2, ::2]
        tr = x[..., ::2, 1::2]
        bl = x[..., 1::2, ::2]
        br = x[..., 1::2, 1::2]
        return self.conv(torch.cat((tl, bl, tr, br), dim=1))


class SPPBottleneck(nn.Module):
    """Spatial pyramid pooling: 1x1 conv, max-pools of several sizes (stride 1) concatenated, 1x1
    conv."""

    def __init__(self, cin: int, cout: int, kernels: Sequence[int] = (5, 9, 13)) -> None:
        super().__init__()
        hidden = cin // 2
        self.conv1 = ConvBNAct(cin, hidden, 1)
        self.m = nn.ModuleList(nn.MaxPool2d(k, stride=1, padding=k // 2) for k in kernels)
        self.conv2 = ConvBNAct(hidden * (len(kernels) + 1), cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        return self.conv2(torch.cat([x] + [pool(x) for pool in self.m], dim=1))


class CSPDarknet(Backbone):
    """CSPDarknet with Focus stem and SPP, scaled by ``depth`` and ``width`` (YOLOX's backbone).

    Defaults to ``features_only=True`` with ``out_indices=(2, 3, 4)`` (strides 8, 16, 32), which is
    what a detection neck consumes. There is no classifier head.
    """

    def __init__(
        self,
        *,
        depth: float = 0.33,
        width: float = 0.25,
        depthwise: bool = True,
        features_only: bool = True,
        out_indices: Sequence[int] | None = (2, 3, 4),
    ) -> None:
        super().__init__()
        if not features_only:
            raise ValueError("CSPDarknet has no classifier head; build it with features_only=True")
        base = int(width * 64)
        n = max(round(depth * 3), 1)
        self.stages = nn.Sequential(
            Focus(3, base, 3),
            nn.Sequential(
                conv(base, base * 2, 3, 2, depthwise=depthwise),
                CSPLayer(base * 2, base * 2, n, depthwise=depthwise),
            ),
            nn.Sequential(
                conv(base * 2, base * 4, 3, 2, depthwise=depthwise),
                CSPLayer(base * 4, base * 4, n * 3, depthwise=depthwise),
            ),
            nn.Sequential(
                conv(base * 4, base * 8, 3, 2, depthwise=depthwise),
                CSPLayer(base * 8, base * 8, n * 3, depthwise=depthwise),
            ),
            nn.Sequential(
                conv(base * 8, base * 16, 3, 2, depthwise=depthwise),
                SPPBottleneck(base * 16, base * 16),
                CSPLayer(base * 16, base * 16, n, shortcut=False, depthwise=depthwise),
            ),
        )
        self._all_info = [
            FeatureInfo(base, 2, "stages.0"),
            FeatureInfo(base * 2, 4, "stages.1"),
            FeatureInfo(base * 4, 8, "stages.2"),
            FeatureInfo(base * 8, 16, "stages.3"),
            FeatureInfo(base * 16, 32, "stages.4"),
        ]
        self._setup_features(True, out_indices)


def cspdarknet(**kwargs: object) -> CSPDarknet:
    """Build a CSPDarknet (see :class:`CSPDarknet` for the arguments)."""
    return CSPDarknet(**kwargs)  # type: ignore[arg-type]
