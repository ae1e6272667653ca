"""foveal's own text-line recognizer: CRNN = CNN features (MobileNetV2 stem from :mod:`foveal.nn`)
+ bidirectional LSTM + CTC.

The CNN keeps the first three MobileNetV2 stages (stride 8) but downsamples the last of them only
vertically, so a line of height 32 becomes a sequence of width/4 feature columns; a (4 x 1)
convolution folds the remaining height, BiLSTM layers read the sequence both ways, and a linear
layer scores each column over the character set plus the CTC blank (index 0).

>>> net = CRNN(num_classes=96)
>>> net(torch.zeros(2, 1, 32, 200)).shape
torch.Size([2, 50, 96])
"""

from __future__ import annotations

import torch
from torch import nn

HEIGHT = 32
STRIDE = 4


class CRNN(nn.Module):
    """CNN + BiLSTM + linear CTC head. Input (B, 1, 32, W) in [-1, 1]; output logits (B, W/4, C).

    Args:
        num_classes: characters + 1 (the blank, index 0).
        width_mult: MobileNetV2 width multiplier of the CNN.
        hidden: LSTM hidden size per direction.
    """

    def __init__(
        self, num_classes: int, *, width_mult: float = 1.0, hidden: int = 128, layers: int = 2
    ) -> None:
        super().__init__()
        from foveal.nn.backbones import create_backbone

        net = create_backbone(
            "mobilenet_v2", width_mult=width_mult, features_only=True, out_indices=(2,)
        )
        self.cnn = nn.Sequential(*[nn.Sequential(*stage) for stage in net.stages[:3]])
        for m in self.cnn[2].modules():  # stride 8 stage: halve the height only
            if isinstance(m, nn.Conv2d) and m.stride == (2, 2):
                m.stride = (2, 1)
        channels = net.feature_info[0].num_chs
        self.fold = nn.Sequential(
            nn.Conv2d(channels, 2 * hidden, kernel_size=(HEIGHT // 8, 1), bias=False),
            nn.BatchNorm2d(2 * hidden),
            nn.ReLU(inplace=True),
        )
        self.rnn = nn.LSTM(
            2 * hidden,
            hidden,
            num_layers=layers,
            bidirectional=True,
            batch_first=True,
            dropout=0.1 if layers > 1 else 0.0,
        )
        self.head = nn.Linear(2 * hidden, num_classes)
        self.num_classes = num_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.cnn(x.expand(-1, 3, -1, -1))
        f = self.fold(f).squeeze(2).transpose(1, 2)  # (B, T, 2*hidden)
        f, _ = self.rnn(f)
        return self.head(f)


class CRNNProbs(nn.Module):
    """Export wrapper: softmax probabilities (B, T, C), like PP-OCR recognizers output."""

    def __init__(self, net: CRNN) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(x), dim=-1)


def sequence_lengths(widths: torch.Tensor) -> torch.Tensor:
    """Output time steps for input widths (the CNN's horizontal stride is 4, 'same' padding)."""
    return torch.div(widths + STRIDE - 1, STRIDE, rounding_mode="floor")
