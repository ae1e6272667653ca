"""A small, fast residual U-Net for image restoration (denoising, artifact removal).

The network works at half resolution after a pixel-unshuffle (as FFDNet does), goes two more
levels down with strided convolutions, and predicts the residual (the degradation) that is
subtracted from the input. Input height and width must be multiples of :data:`MULTIPLE`.

>>> import torch
>>> net = RestoreUNet(channels=3, width=16)
>>> net(torch.zeros(1, 3, 32, 32)).shape
torch.Size([1, 3, 32, 32])
"""

from __future__ import annotations

import torch
from torch import nn

MULTIPLE = 8  # input sides must be multiples of this (pixel-unshuffle 2, then two stride-2 levels)


def _block(ch: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(ch, ch, 3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(ch, ch, 3, padding=1),
        nn.ReLU(inplace=True),
    )


class RestoreUNet(nn.Module):
    """Residual U-Net: ``clean = x - net(x)``; ``channels`` 1 (grey) or 3 (colour), width = ch."""

    def __init__(self, channels: int = 3, width: int = 32) -> None:
        super().__init__()
        self.channels = channels
        self.width = width
        c = width
        self.unshuffle = nn.PixelUnshuffle(2)
        self.head = nn.Sequential(nn.Conv2d(channels * 4, c, 3, padding=1), nn.ReLU(inplace=True))
        self.enc1 = _block(c)
        self.down1 = nn.Sequential(nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.ReLU(True))
        self.enc2 = _block(2 * c)
        self.down2 = nn.Sequential(nn.Conv2d(2 * c, 4 * c, 3, stride=2, padding=1), nn.ReLU(True))
        self.mid = _block(4 * c)
        self.up2 = nn.ConvTranspose2d(4 * c, 2 * c, 2, stride=2)
        self.dec2 = _block(2 * c)
        self.up1 = nn.ConvTranspose2d(2 * c, c, 2, stride=2)
        self.dec1 = _block(c)
        self.tail = nn.Conv2d(c, channels * 4, 3, padding=1)
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(self.unshuffle(x))
        e1 = self.enc1(h)
        e2 = self.enc2(self.down1(e1))
        m = self.mid(self.down2(e2))
        d2 = self.dec2(self.up2(m) + e2)
        d1 = self.dec1(self.up1(d2) + e1 + h)
        return x - self.shuffle(self.tail(d1))
