"""Classifiers over sequences of per-step feature vectors ``(B, T, D) -> (B, classes)``.

Four architectures share one contract (and export to ONNX with a dynamic batch axis):

* ``lstm`` / ``gru`` — a recurrent network; the last step's hidden state feeds a linear layer;
* ``tcn`` — a temporal convolution network (dilated 1-D convolutions with residuals), pooled over
  time;
* ``mlp`` — the baseline: the flattened sequence through two hidden layers.

Every model standardises its input with a per-dimension mean and std held as buffers (set from the
training data with :meth:`SequenceClassifier.set_standardization`), so the exported graph takes raw
features. With ``deltas=True`` each step also sees its difference to the previous step (velocity),
computed inside the network.

>>> import torch
>>> net = build_sequence_model("gru", steps=16, step_dims=2, num_classes=4)
>>> net(torch.zeros(3, 16, 2)).shape
torch.Size([3, 4])
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import nn

ARCHS = ("lstm", "gru", "tcn", "mlp")


class SequenceClassifier(nn.Module, ABC):
    """Base: input standardisation buffers around a ``body`` mapping ``(B, T, D)`` to logits."""

    def __init__(self, steps: int, step_dims: int, deltas: bool = False) -> None:
        super().__init__()
        self.steps, self.step_dims, self.deltas = steps, step_dims, deltas
        self.in_dims = 2 * step_dims if deltas else step_dims
        self.register_buffer("mean", torch.zeros(self.in_dims))
        self.register_buffer("std", torch.ones(self.in_dims))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The per-step inputs before standardisation: ``x``, or ``x`` and its step differences."""
        if not self.deltas:
            return x
        previous = torch.cat([x[:, :1], x[:, :-1]], dim=1)  # torch.diff has no ONNX export
        return torch.cat([x, x - previous], dim=2)

    def set_standardization(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Per-dimension statistics of :meth:`features` on the training data (zero std -> 1)."""
        std = torch.as_tensor(std, dtype=torch.float32).clone()
        std[std < 1e-8] = 1.0
        self.mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.std.copy_(std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body((self.features(x) - self.mean) / self.std)

    @abstractmethod
    def body(self, x: torch.Tensor) -> torch.Tensor:
        """Standardised ``(B, T, in_dims)`` -> logits ``(B, classes)``."""


class RecurrentClassifier(SequenceClassifier):
    """LSTM or GRU layers; the last step's output goes through dropout and a linear layer."""

    def __init__(
        self,
        kind: str,
        steps: int,
        step_dims: int,
        num_classes: int,
        hidden: int = 64,
        layers: int = 2,
        dropout: float = 0.2,
        deltas: bool = False,
    ) -> None:
        super().__init__(steps, step_dims, deltas)
        cls = nn.LSTM if kind == "lstm" else nn.GRU
        self.rnn = cls(
            self.in_dims,
            hidden,
            num_layers=layers,
            batch_first=True,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden, num_classes)

    def body(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.fc(self.drop(out[:, -1]))


class TemporalBlock(nn.Module):
    """Two dilated 1-D convolutions (same length) with batch norm, ReLU and a residual."""

    def __init__(self, cin: int, cout: int, dilation: int, kernel: int = 3) -> None:
        super().__init__()
        pad = dilation * (kernel - 1) // 2
        self.net = nn.Sequential(
            nn.Conv1d(cin, cout, kernel, padding=pad, dilation=dilation),
            nn.BatchNorm1d(cout),
            nn.ReLU(inplace=True),
            nn.Conv1d(cout, cout, kernel, padding=pad, dilation=dilation),
            nn.BatchNorm1d(cout),
        )
        self.skip = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.net(x) + self.skip(x))


class TCNClassifier(SequenceClassifier):
    """Temporal blocks with dilations 1, 2, 4, ..., then mean and max over time, then linear."""

    def __init__(
        self,
        steps: int,
        step_dims: int,
        num_classes: int,
        hidden: int = 64,
        layers: int = 3,
        dropout: float = 0.2,
        deltas: bool = False,
    ) -> None:
        super().__init__(steps, step_dims, deltas)
        blocks = [
            TemporalBlock(self.in_dims if i == 0 else hidden, hidden, dilation=2**i)
            for i in range(layers)
        ]
        self.blocks = nn.Sequential(*blocks)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(2 * hidden, num_classes)

    def body(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(x.transpose(1, 2))
        pooled = torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1)
        return self.fc(self.drop(pooled))


class MLPClassifier(SequenceClassifier):
    """The flattened sequence through two hidden layers (the baseline)."""

    def __init__(
        self,
        steps: int,
        step_dims: int,
        num_classes: int,
        hidden: int = 64,
        layers: int = 2,
        dropout: float = 0.2,
        deltas: bool = False,
    ) -> None:
        super().__init__(steps, step_dims, deltas)
        mods: list[nn.Module] = []
        width = steps * self.in_dims
        for _ in range(layers):
            mods += [nn.Linear(width, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout)]
            width = hidden
        mods.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*mods)

    def body(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1))


def build_sequence_model(
    arch: str,
    *,
    steps: int,
    step_dims: int,
    num_classes: int,
    hidden: int = 64,
    layers: int = 2,
    dropout: float = 0.2,
    deltas: bool = False,
) -> SequenceClassifier:
    """A sequence classifier by name (one of :data:`ARCHS`).

    Raises:
        ConfigError: an unknown architecture or a non-positive size.
    """
    from foveal.errors import ConfigError

    if arch not in ARCHS:
        raise ConfigError(f"sequence architecture {arch!r} is not known; choose {', '.join(ARCHS)}")
    for name, value in (("steps", steps), ("step_dims", step_dims), ("classes", num_classes)):
        if value < 1:
            raise ConfigError(f"a sequence model needs {name} >= 1, got {value}")
    kw = {"hidden": hidden, "layers": layers, "dropout": dropout, "deltas": deltas}
    if arch in ("lstm", "gru"):
        return RecurrentClassifier(arch, steps, step_dims, num_classes, **kw)  # type: ignore[arg-type]
    if arch == "tcn":
        return TCNClassifier(steps, step_dims, num_classes, **kw)  # type: ignore[arg-type]
    return MLPClassifier(steps, step_dims, num_classes, **kw)  # type: ignore[arg-type]
