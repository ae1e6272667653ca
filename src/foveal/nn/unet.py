"""U-Net (Ronneberger et al., 2015): an encoder, a decoder that upsamples step by step, and skip
connections that hand each decoder step the encoder's map of the same resolution.

Two encoders:

* any zoo backbone through ``features_only`` (``"mobilenet_v2"``, ``"efficientnet_lite0"``, ...):
  five stages at strides 2, 4, 8, 16, 32; a last decoder step at full resolution takes a small
  convolution of the input itself as its skip, so thin structures (membranes, edges) stay sharp;
* ``"classic"``: the paper's from-scratch encoder (two 3x3 conv + BN + ReLU per level, max-pool
  between levels) at strides 1, 2, 4, 8, 16, ``base`` channels doubling per level.

The output is ``out_channels`` logits per pixel at the input's resolution (no activation). Height
and width must be multiples of :attr:`UNet.multiple` (32 for backbone encoders, 16 for the classic
one): pad or tile before calling it.

>>> import torch
>>> net = UNet(3, 2, encoder="mobilenet_v2")
>>> net(torch.zeros(1, 3, 64, 96)).shape
torch.Size([1, 2, 64, 96])
>>> UNet(1, 1, encoder="classic", base=8)(torch.zeros(2, 1, 32, 32)).shape
torch.Size([2, 1, 32, 32])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

CLASSIC = "classic"


class DoubleConv(nn.Sequential):
    """``(3x3 conv -> BatchNorm -> ReLU) x 2``, the U-Net building block."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )


class ClassicEncoder(nn.Module):
    """The paper's contracting path: ``depth`` levels, max-pool between them, ``base * 2**k``
    channels at level ``k`` (strides 1, 2, 4, ...)."""

    def __init__(self, in_channels: int, base: int = 32, depth: int = 5) -> None:
        super().__init__()
        chans = [base * 2**k for k in range(depth)]
        self.levels = nn.ModuleList(
            DoubleConv(cin, cout)
            for cin, cout in zip([in_channels, *chans[:-1]], chans, strict=True)
        )
        self.channels = chans
        self.strides = [2**k for k in range(depth)]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs = []
        for k, level in enumerate(self.levels):
            x = level(x if k == 0 else F.max_pool2d(x, 2))
            outs.append(x)
        return outs


class UpBlock(nn.Module):
    """Upsample x2 (bilinear), concatenate the skip, :class:`DoubleConv`."""

    def __init__(self, cin: int, skip: int, cout: int) -> None:
        super().__init__()
        self.conv = DoubleConv(cin + skip, cout)

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        return self.conv(x if skip is None else torch.cat((x, skip), dim=1))


class UNet(nn.Module):
    """U-Net with a backbone or the classic encoder (see the module docstring).

    Args:
        in_channels: input channels (1 for grey, 3 for RGB). A backbone encoder sees 3 channels:
            other counts go through a learned 1x1 adapter (initialised to copy/average channels).
        out_channels: logits per pixel (1 for binary with a sigmoid, the class count for softmax).
        encoder: a backbone name of :func:`foveal.nn.backbones.create_backbone` or ``"classic"``.
        decoder_channels: channels of the backbone decoder's steps, deepest first (one per encoder
            stage; default ``(128, 64, 48, 32, 16)[-depth:]``); the classic decoder mirrors its
            encoder instead.
        depth: encoder stages used (5: down to stride 32; 4: stride 16, cheaper, less context).
        base: channels of the classic encoder's first level.

    The encoder is ``self.encoder``; load pretrained backbone weights into it (a
    ``features_only`` backbone's state dict) before training.
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 1,
        *,
        encoder: str = "mobilenet_v2",
        decoder_channels: Sequence[int] | None = None,
        depth: int = 5,
        base: int = 32,
    ) -> None:
        super().__init__()
        if in_channels < 1 or out_channels < 1:
            raise ValueError(
                f"in_channels and out_channels must be >= 1, got {in_channels}, {out_channels}"
            )
        self.in_channels, self.out_channels, self.encoder_name = in_channels, out_channels, encoder
        self.adapter: nn.Module | None = None
        self.depth = depth
        if not 2 <= depth <= 5:
            raise ValueError(f"depth must be within 2..5, got {depth}")
        if encoder == CLASSIC:
            self.encoder: nn.Module = ClassicEncoder(in_channels, base, depth)
            chans, strides = self.encoder.channels, self.encoder.strides
            self.stem: nn.Module | None = None
            # classic: each decoder step mirrors the encoder level (decoder_channels unused)
            dec = [chans[-2 - k] for k in range(len(chans) - 1)]
        else:
            from foveal.nn.backbones import create_backbone

            self.encoder = create_backbone(
                encoder, features_only=True, out_indices=tuple(range(depth))
            )
            info = self.encoder.feature_info
            chans, strides = [f.num_chs for f in info], [f.reduction for f in info]
            if in_channels != 3:
                self.adapter = nn.Conv2d(in_channels, 3, 1, bias=False)
                nn.init.constant_(self.adapter.weight, 1.0 / in_channels)
            dec = list(decoder_channels or (128, 64, 48, 32, 16)[-depth:])
            if len(dec) != len(chans):
                raise ValueError(
                    f"decoder_channels needs {len(chans)} values (one per encoder stage), "
                    f"got {len(dec)}"
                )
            # the full-resolution skip: a small convolution of the input
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, dec[-1], 3, padding=1, bias=False),
                nn.BatchNorm2d(dec[-1]),
                nn.ReLU(inplace=True),
            )
        self.multiple = strides[-1]
        skips = list(reversed(chans[:-1]))
        blocks, cin = [], chans[-1]
        for cout, skip in zip(dec, skips, strict=False):
            blocks.append(UpBlock(cin, skip, cout))
            cin = cout
        if self.stem is not None:  # backbone: one more step, from stride 2 to the input
            blocks.append(UpBlock(cin, dec[-1], dec[-1]))
            cin = dec[-1]
        self.decoder = nn.ModuleList(blocks)
        self.head = nn.Conv2d(cin, out_channels, 1)

    def encode(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The encoder's feature maps, shallowest first (only the stages in use are run)."""
        if self.stem is None:
            return self.encoder(x)
        y, feats = x if self.adapter is None else self.adapter(x), []
        for stage in self.encoder.stages[: self.depth]:
            y = stage(y)
            feats.append(y)
        return feats

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = self.encode(x)
        skips = list(reversed(feats[:-1]))
        if self.stem is not None:
            skips.append(self.stem(x))
        y = feats[-1]
        for block, skip in zip(self.decoder, skips, strict=True):
            y = block(y, skip)
        return self.head(y)


def unet(**kwargs: object) -> UNet:
    """Build a :class:`UNet` (keyword arguments as its constructor)."""
    return UNet(**kwargs)  # type: ignore[arg-type]
