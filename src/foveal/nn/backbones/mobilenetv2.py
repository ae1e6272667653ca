"""MobileNetV2 (Sandler et al., 2018), laid out so torchvision's official state dict loads
strictly."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from foveal.nn.backbones.base import Backbone, FeatureInfo


def _make_divisible(v: float, divisor: int = 8) -> int:
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class ConvBNAct(nn.Sequential):
    """Conv2d -> BatchNorm2d -> ReLU6 (keys ``0``, ``1`` like torchvision's
    Conv2dNormActivation)."""

    def __init__(
        self, cin: int, cout: int, kernel: int = 3, stride: int = 1, groups: int = 1
    ) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU6(inplace=True),
        )


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        hidden = int(round(cin * expand_ratio))
        self.use_res_connect = stride == 1 and cin == cout
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(ConvBNAct(cin, hidden, kernel=1))
        layers += [
            ConvBNAct(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, cout, 1, 1, 0, bias=False),
            nn.BatchNorm2d(cout),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


# t (expansion), c (channels), n (repeats), s (first stride)
_SETTINGS = [
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
]
# features[i] index ending each stage, and that stage's stride
_STAGE_ENDS = (1, 3, 6, 13, 18)


class _StageView(nn.Sequential):
    """A non-owning view of ``features[a:b]`` (does not add state-dict keys)."""


class MobileNetV2(Backbone):
    """MobileNetV2. ``features`` / ``classifier`` keys match ``torchvision.models.mobilenet_v2``.

    Stages (``feature_info``): 16ch/2, 24ch/4, 32ch/8, 96ch/16, 1280ch/32.
    """

    def __init__(
        self,
        *,
        num_classes: int = 1000,
        width_mult: float = 1.0,
        dropout: float = 0.2,
        features_only: bool = False,
        out_indices: Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        cin = _make_divisible(32 * width_mult)
        last = _make_divisible(1280 * max(1.0, width_mult))
        feats: list[nn.Module] = [ConvBNAct(3, cin, stride=2)]
        for t, c, n, s in _SETTINGS:
            cout = _make_divisible(c * width_mult)
            for i in range(n):
                feats.append(InvertedResidual(cin, cout, s if i == 0 else 1, t))
                cin = cout
        feats.append(ConvBNAct(cin, last, kernel=1))
        self.features = nn.Sequential(*feats)
        chans = [self._out_channels(i) for i in _STAGE_ENDS[:-1]] + [last]
        self._all_info = [
            FeatureInfo(ch, 2 ** (k + 1), f"features.{end}")
            for k, (ch, end) in enumerate(zip(chans, _STAGE_ENDS, strict=True))
        ]
        bounds = (0, *(e + 1 for e in _STAGE_ENDS))
        # Stage views share modules with self.features; registered outside the module tree.
        object.__setattr__(
            self,
            "stages",
            [_StageView(*feats[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)],
        )
        self._setup_features(features_only, out_indices)
        self.num_classes = 0 if features_only else num_classes
        self.classifier = (
            None
            if features_only
            else nn.Sequential(nn.Dropout(p=dropout), nn.Linear(last, num_classes))
        )
        self._init_weights()

    def _out_channels(self, idx: int) -> int:
        block = self.features[idx]
        return (
            block.conv[-1].num_features
            if isinstance(block, InvertedResidual)
            else block[1].num_features
        )

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def forward_head(self, x: torch.Tensor, *, pre_logits: bool = False) -> torch.Tensor:
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        if pre_logits or self.classifier is None:
            return x
        return self.classifier(x)

    def reset_classifier(self, num_classes: int, dropout: float = 0.2) -> None:
        """Replace the classifier with a fresh one for ``num_classes`` (transfer learning)."""
        self.num_classes = num_classes
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(self.num_features, num_classes)
        )


def mobilenet_v2(
    *,
    num_classes: int = 1000,
    width_mult: float = 1.0,
    dropout: float = 0.2,
    features_only: bool = False,
    out_indices: Sequence[int] | None = None,
) -> MobileNetV2:
    """Build MobileNetV2 (no weights)."""
    return MobileNetV2(
        num_classes=num_classes,
        width_mult=width_mult,
        dropout=dropout,
        features_only=features_only,
        out_indices=out_indices,
    )
