"""dlib's face-recognition ResNet, read from its ``.dat`` file into PyTorch (exported to ONNX by
:func:`foveal.tasks.faces.export.export_dlib_onnx`).

dlib's prebuilt wheels run this network without a BLAS and on one core; the same weights in ONNX
Runtime give the same 128-d descriptors (max difference ~1e-5, tested against dlib itself) several
times faster. The network (dlib's ``dnn_face_recognition_ex.cpp``) is a 29-layer ResNet:

    input 150x150 RGB, (pixel - mean) / 256
    conv 7x7/2 (32) - affine - relu - max pool 3x3/2
    3 x res(32), res_down(64) + 3 x res(64), res_down(128) + 2 x res(128),
    res_down(256) + 2 x res(256), res_down(256)
    global average pool - fc 128 (no bias)

where ``res(N)`` = relu(x + affine(conv3x3(relu(affine(conv3x3(x)))))) and ``res_down`` starts
with a stride-2 convolution without padding and adds a 2x2/2 average pool of its input
(zero-padded to the larger channel count and size, as dlib's ``add_prev`` does).

The ``.dat`` format is dlib's serialisation: integers as a length byte (high bit = sign) plus
little-endian bytes, floats as (mantissa, exponent) integer pairs, tensors as a version, 4 sizes and
raw little-endian float32 data; layers are written from the input to the output.

>>> import torch
>>> path = foveal.zoo.resolve_weights(foveal.zoo.get("dlib_resnet.v1"))  # the .dat file
>>> net = build_torch_model(read_dlib_resnet(path))
>>> net(torch.zeros(1, 3, 150, 150)).shape
torch.Size([1, 128])
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import FovealError

# (channels, downsample) of the 14 residual blocks, input to output
BLOCKS = (
    [(32, False)] * 3
    + [(64, True)]
    + [(64, False)] * 3
    + [(128, True)]
    + [(128, False)] * 2
    + [(256, True)]
    + [(256, False)] * 2
    + [(256, True)]
)

_NAME = re.compile(rb"\x01([\x03-\x18])([a-z][a-z0-9_]{2,23})")


@dataclass
class _Conv:
    weight: np.ndarray
    bias: np.ndarray
    stride: int
    padding: int


@dataclass
class DlibResNetWeights:
    """Everything read from the ``.dat`` file."""

    mean: tuple[float, float, float]
    convs: list[_Conv] = field(default_factory=list)
    affines: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    fc: np.ndarray | None = None  # (128, 256), torch Linear layout


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def int(self, p: int) -> tuple[int, int]:
        b = self.data[p]
        n = b & 0x0F
        v = int.from_bytes(self.data[p + 1 : p + 1 + n], "little")
        return (-v if b & 0x80 else v), p + 1 + n

    def float(self, p: int) -> tuple[float, int]:
        mant, p = self.int(p)
        exp, p = self.int(p)
        return float(mant) * 2.0**exp, p

    def tensor(self, p: int) -> tuple[tuple[int, ...], np.ndarray, int]:
        version, p = self.int(p)
        if version != 2:
            raise FovealError(f"unsupported dlib tensor version {version}")
        dims = []
        for _ in range(4):
            d, p = self.int(p)
            dims.append(d)
        count = int(np.prod(dims))
        arr = np.frombuffer(self.data[p : p + 4 * count], "<f4").astype(np.float32)
        return tuple(dims), arr, p + 4 * count


def read_dlib_resnet(path: str | os.PathLike) -> DlibResNetWeights:
    """Parse dlib's ``dlib_face_recognition_resnet_model_v1.dat``."""
    data = Path(path).read_bytes()
    r = _Reader(data)
    layers = []
    for m in _NAME.finditer(data):
        n = m.group(1)[0]
        name = m.group(2)[:n].decode()
        if len(m.group(2)) >= n:
            layers.append((name, m.start() + 2 + n))
    weights: DlibResNetWeights | None = None
    for name, p in layers:
        if name == "input_rgb_image_sized":
            vals = []
            for _ in range(3):
                v, p = r.float(p)
                vals.append(v)
            weights = DlibResNetWeights(mean=(vals[0], vals[1], vals[2]))
        elif weights is None:
            continue
        elif name == "con_4":
            _, params, p = r.tensor(p)
            nf, p = r.int(p)
            kh, p = r.int(p)
            kw, p = r.int(p)
            sy, p = r.int(p)
            _, p = r.int(p)
            py, p = r.int(p)
            k = (params.size - nf) // (nf * kh * kw)
            w = params[: nf * k * kh * kw].reshape(nf, k, kh, kw)
            weights.convs.append(_Conv(w, params[nf * k * kh * kw :], sy, py))
        elif name == "affine_":
            _, params, p = r.tensor(p)
            half = params.size // 2
            weights.affines.append((params[:half], params[half:]))
        elif name == "fc_2":
            _, p = r.int(p)  # num_outputs
            _, p = r.int(p)  # num_inputs
            _, params, p = r.tensor(p)
            weights.fc = params.reshape(-1, 128).T.copy()
    if (
        weights is None
        or len(weights.convs) != 29
        or len(weights.affines) != 29
        or weights.fc is None
    ):
        raise FovealError(
            f"{path} does not look like dlib's face recognition ResNet "
            f"({0 if weights is None else len(weights.convs)} convolutions found, 29 expected)"
        )
    return weights


def build_torch_model(weights: DlibResNetWeights) -> Any:
    """The network as a PyTorch module: input (N, 3, 150, 150) RGB pixels 0..255 -> (N, 128)."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    class Affine(nn.Module):
        def __init__(self, gamma: np.ndarray, beta: np.ndarray) -> None:
            super().__init__()
            self.register_buffer("gamma", torch.from_numpy(gamma.copy()).view(1, -1, 1, 1))
            self.register_buffer("beta", torch.from_numpy(beta.copy()).view(1, -1, 1, 1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * self.gamma + self.beta

    def conv(c: _Conv) -> nn.Conv2d:
        out_c, in_c, kh, kw = c.weight.shape
        m = nn.Conv2d(in_c, out_c, (kh, kw), stride=c.stride, padding=c.padding)
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(c.weight.copy()))
            m.bias.copy_(torch.from_numpy(c.bias.copy()))
        return m

    class Block(nn.Module):
        def __init__(self, i: int, down: bool) -> None:
            super().__init__()
            self.down = down
            self.conv1, self.aff1 = conv(weights.convs[i]), Affine(*weights.affines[i])
            self.conv2, self.aff2 = conv(weights.convs[i + 1]), Affine(*weights.affines[i + 1])

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.aff2(self.conv2(torch.relu(self.aff1(self.conv1(x)))))
            s = F.avg_pool2d(x, 2, 2) if self.down else x
            # dlib's add_prev: sizes may differ; the smaller tensor is zero-padded at the end
            c, h, w = (
                max(s.shape[1], y.shape[1]),
                max(s.shape[2], y.shape[2]),
                max(s.shape[3], y.shape[3]),
            )
            s = F.pad(s, (0, w - s.shape[3], 0, h - s.shape[2], 0, c - s.shape[1]))
            y = F.pad(y, (0, w - y.shape[3], 0, h - y.shape[2], 0, c - y.shape[1]))
            return torch.relu(s + y)

    class DlibResNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer(
                "mean", torch.tensor(weights.mean, dtype=torch.float32).view(1, 3, 1, 1)
            )
            self.stem, self.stem_aff = conv(weights.convs[0]), Affine(*weights.affines[0])
            self.blocks = nn.Sequential(
                *[Block(1 + 2 * i, down) for i, (_, down) in enumerate(BLOCKS)]
            )
            self.fc = nn.Linear(256, 128, bias=False)
            with torch.no_grad():
                self.fc.weight.copy_(torch.from_numpy(weights.fc))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = (x - self.mean) / 256.0
            x = F.max_pool2d(torch.relu(self.stem_aff(self.stem(x))), 3, 2)
            x = self.blocks(x)
            return self.fc(x.mean(dim=(2, 3)))

    return DlibResNet().eval()
