"""EfficientNet-Lite0 (Tan & Le, 2019; the "Lite" variant: no squeeze-excite, ReLU6, fixed
stem/head).

Parameter names follow the ``efficientnet_pytorch`` layout (``_conv_stem``,
``_blocks.N._expand_conv``,
``_fc`` ...) so the published Lite0 state dict loads strictly. Convolutions use TensorFlow "SAME"
padding, computed from the input size, as the weights were trained with it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from foveal.nn.backbones.base import Backbone, FeatureInfo

# repeats, kernel, stride, expand ratio, in channels, out channels
_LITE0_BLOCKS = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
]
_BN = {"eps": 1e-3, "momentum": 0.01}


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow "SAME" padding (asymmetric for even inputs with stride 2)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(cin, cout, kernel, stride, padding=0, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ih, iw = int(x.shape[-2]), int(x.shape[-1])
        k, s = self.kernel_size[0], self.stride[0]
        ph = max((math.ceil(ih / s) - 1) * s + k - ih, 0)
        pw = max((math.ceil(iw / s) - 1) * s + k - iw, 0)
        if ph or pw:
            x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class MBConv(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv2d(cin, mid, 1)
            self._bn0 = nn.BatchNorm2d(mid, **_BN)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride, groups=mid)
        self._bn1 = nn.BatchNorm2d(mid, **_BN)
        self._project_conv = SameConv2d(mid, cout, 1)
        self._bn2 = nn.BatchNorm2d(cout, **_BN)
        self._swish = nn.ReLU6()
        self.residual = stride == 1 and cin == cout

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs
        if self.expand:
            x = self._swish(self._bn0(self._expand_conv(x)))
        x = self._swish(self._bn1(self._depthwise_conv(x)))
        x = self._bn2(self._project_conv(x))
        return x + inputs if self.residual else x


class _Stem(nn.Module):
    def __init__(self, owner: EfficientNetLite) -> None:
        super().__init__()
        object.__setattr__(self, "owner", owner)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        o = self.owner
        return o._swish(o._bn0(o._conv_stem(x)))


class _Head(nn.Module):
    def __init__(self, owner: EfficientNetLite) -> None:
        super().__init__()
        object.__setattr__(self, "owner", owner)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        o = self.owner
        return o._swish(o._bn1(o._conv_head(x)))


class EfficientNetLite(Backbone):
    """EfficientNet-Lite0. Stages: 16ch/2, 24ch/4, 40ch/8, 112ch/16, 1280ch/32."""

    def __init__(
        self,
        *,
        num_classes: int = 1000,
        dropout: float = 0.2,
        features_only: bool = False,
        out_indices: Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, 2)
        self._bn0 = nn.BatchNorm2d(32, **_BN)
        self._swish = nn.ReLU6()
        blocks: list[nn.Module] = []
        ends: list[int] = []
        for repeats, k, s, e, cin, cout in _LITE0_BLOCKS:
            for i in range(repeats):
                blocks.append(MBConv(cin if i == 0 else cout, cout, k, s if i == 0 else 1, e))
            ends.append(len(blocks))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(320, 1280, 1)
        self._bn1 = nn.BatchNorm2d(1280, **_BN)
        # stage boundaries (block index after which a stride level ends): /2, /4, /8, /16, /32
        b = [0, ends[0], ends[1], ends[2], ends[4], ends[6]]
        stages: list[nn.Module] = [nn.Sequential(_Stem(self), *blocks[b[0] : b[1]])]
        stages += [nn.Sequential(*blocks[b[i] : b[i + 1]]) for i in range(1, 4)]
        stages.append(nn.Sequential(*blocks[b[4] : b[5]], _Head(self)))
        object.__setattr__(self, "stages", stages)
        self._all_info = [
            FeatureInfo(16, 2, "_blocks.0"),
            FeatureInfo(24, 4, f"_blocks.{ends[1] - 1}"),
            FeatureInfo(40, 8, f"_blocks.{ends[2] - 1}"),
            FeatureInfo(112, 16, f"_blocks.{ends[4] - 1}"),
            FeatureInfo(1280, 32, "_conv_head"),
        ]
        self._setup_features(features_only, out_indices)
        self.num_classes = 0 if features_only else num_classes
        self._dropout = nn.Dropout(dropout)
        self._fc = None if features_only else nn.Linear(1280, num_classes)

    @property
    def classifier(self) -> nn.Module | None:
        """The final linear layer (named ``_fc`` in the state dict)."""
        return self._fc

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self._swish(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return self._swish(self._bn1(self._conv_head(x)))

    def forward_head(self, x: torch.Tensor, *, pre_logits: bool = False) -> torch.Tensor:
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        if pre_logits or self._fc is None:
            return x
        return self._fc(self._dropout(x))

    def reset_classifier(self, num_classes: int, dropout: float = 0.2) -> None:
        self.num_classes = num_classes
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(1280, num_classes)


def efficientnet_lite0(
    *,
    num_classes: int = 1000,
    dropout: float = 0.2,
    features_only: bool = False,
    out_indices: Sequence[int] | None = None,
) -> EfficientNetLite:
    """Build EfficientNet-Lite0 (no weights)."""
    return EfficientNetLite(
        num_classes=num_classes,
        dropout=dropout,
        features_only=features_only,
        out_indices=out_indices,
    )
