"""A small TFLite graph -> PyTorch module converter, for exporting MediaPipe's selfie
segmentation model to ONNX (``tflite2onnx`` lacks its ``HARD_SWISH``, ``DEQUANTIZE`` and
MediaPipe's custom ``Convolution2DTransposeBias``).

Handles float (and float16-stored) graphs made of: CONV_2D, DEPTHWISE_CONV_2D, the custom
transpose convolution, ADD, MUL, RELU, RELU6, HARD_SWISH, LOGISTIC, AVERAGE_POOL_2D (VALID),
RESIZE_BILINEAR, DEQUANTIZE. The module takes and returns NCHW tensors; the operators run in the
graph's own order. Anything else is a clear error naming the operator.

For example::

    net = tflite_to_torch(selfie_tflite())
    net(torch.zeros(1, 3, 256, 256)).shape  # torch.Size([1, 1, 256, 256])
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from foveal.errors import ModelFileError

_ACT = {0: None, 1: "relu", 3: "relu6"}  # tflite ActivationFunctionType: NONE, RELU, RELU6


def selfie_tflite(landscape: bool = False) -> Path:
    """The ``.tflite`` file the installed ``mediapipe`` 0.10.14 wheel ships."""
    import importlib.util

    spec = importlib.util.find_spec("mediapipe")
    if spec is None or spec.origin is None:
        raise ModelFileError(
            "the selfie segmentation model ships in the mediapipe 0.10.14 wheel, which is not "
            "installed; install it with: pip install --no-deps mediapipe==0.10.14"
        )
    name = "selfie_segmentation_landscape.tflite" if landscape else "selfie_segmentation.tflite"
    path = Path(spec.origin).parent / "modules" / "selfie_segmentation" / name
    if not path.is_file():
        raise ModelFileError(f"{path} is missing; mediapipe 0.10.14 (not 1.x) ships it")
    return path


def _act(x: torch.Tensor, code: int) -> torch.Tensor:
    kind = _ACT.get(code, "unknown")
    if kind == "unknown":
        raise ModelFileError(f"unsupported fused activation {code} in the TFLite graph")
    if kind == "relu":
        return torch.relu(x)
    if kind == "relu6":
        return torch.clamp(x, 0.0, 6.0)
    return x


def _same_pad(x: torch.Tensor, k: tuple[int, int], s: tuple[int, int], d: tuple[int, int]):
    ih, iw = x.shape[-2:]
    pads = []
    for size, kk, ss, dd in ((iw, k[1], s[1], d[1]), (ih, k[0], s[0], d[0])):
        eff = (kk - 1) * dd + 1
        out = -(-size // ss)
        total = max((out - 1) * ss + eff - size, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads)


class TFLiteModule(torch.nn.Module):
    """The converted graph (see the module docstring)."""

    def __init__(self, path: str | os.PathLike) -> None:
        super().__init__()
        import tflite

        self._tfl = tflite
        data = Path(path).read_bytes()
        model = tflite.Model.GetRootAsModel(data, 0)
        g = model.Subgraphs(0)
        self.inputs = [int(i) for i in g.InputsAsNumpy()]
        self.outputs = [int(i) for i in g.OutputsAsNumpy()]
        self.consts: dict[int, np.ndarray] = {}
        for t in range(g.TensorsLength()):
            tensor = g.Tensors(t)
            buf = model.Buffers(tensor.Buffer())
            if buf is not None and buf.DataLength():
                dtype = {0: np.float32, 1: np.float16, 2: np.int32}.get(tensor.Type())
                if dtype is None:
                    raise ModelFileError(f"tensor type {tensor.Type()} is not supported")
                shape = tensor.ShapeAsNumpy() if tensor.ShapeLength() else ()
                arr = np.frombuffer(buf.DataAsNumpy().tobytes(), dtype).reshape(shape)
                self.consts[t] = arr.astype(np.float32) if dtype != np.int32 else arr
        self.ops: list[tuple[str, list[int], list[int], Any]] = []
        params: dict[str, torch.Tensor] = {}
        names = {v: k for k, v in tflite.BuiltinOperator.__dict__.items() if not k.startswith("_")}
        for i in range(g.OperatorsLength()):
            op = g.Operators(i)
            code = model.OperatorCodes(op.OpcodeIndex())
            name = names.get(code.BuiltinCode(), str(code.BuiltinCode()))
            if name == "CUSTOM":
                name = (code.CustomCode() or b"").decode()
            ins = [int(j) for j in op.InputsAsNumpy()]
            outs = [int(j) for j in op.OutputsAsNumpy()]
            self.ops.append((name, ins, outs, self._options(op, name)))
            if name == "DEQUANTIZE":
                self.consts[outs[0]] = self.consts[ins[0]].astype(np.float32)
        for t, arr in self.consts.items():
            if arr.dtype == np.float32:
                params[str(t)] = torch.from_numpy(np.ascontiguousarray(arr))
        self.weights = torch.nn.ParameterDict(
            {k: torch.nn.Parameter(v, requires_grad=False) for k, v in params.items()}
        )

    def _options(self, op: Any, name: str) -> dict[str, Any]:
        tfl = self._tfl
        bo = op.BuiltinOptions()
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            o = tfl.Conv2DOptions() if name == "CONV_2D" else tfl.DepthwiseConv2DOptions()
            o.Init(bo.Bytes, bo.Pos)
            return {
                "same": o.Padding() == 0,
                "stride": (o.StrideH(), o.StrideW()),
                "dilation": (o.DilationHFactor(), o.DilationWFactor()),
                "act": o.FusedActivationFunction(),
            }
        if name in ("ADD", "MUL"):
            o = tfl.AddOptions() if name == "ADD" else tfl.MulOptions()
            o.Init(bo.Bytes, bo.Pos)
            return {"act": o.FusedActivationFunction()}
        if name == "AVERAGE_POOL_2D":
            o = tfl.Pool2DOptions()
            o.Init(bo.Bytes, bo.Pos)
            if o.Padding() != 1:
                raise ModelFileError("AVERAGE_POOL_2D with SAME padding is not supported")
            return {
                "kernel": (o.FilterHeight(), o.FilterWidth()),
                "stride": (o.StrideH(), o.StrideW()),
                "act": o.FusedActivationFunction(),
            }
        if name == "RESIZE_BILINEAR":
            o = tfl.ResizeBilinearOptions()
            o.Init(bo.Bytes, bo.Pos)
            if o.AlignCorners() or not o.HalfPixelCenters():
                raise ModelFileError("RESIZE_BILINEAR needs half_pixel_centers (TF2 style)")
            return {}
        if name == "Convolution2DTransposeBias":
            padding, stride_w, stride_h = struct.unpack("<3i", bytes(op.CustomOptionsAsNumpy()))
            return {"same": padding == 1, "stride": (stride_h, stride_w)}
        if name in ("RELU", "RELU6", "HARD_SWISH", "LOGISTIC", "DEQUANTIZE"):
            return {}
        raise ModelFileError(f"TFLite operator {name} is not supported by foveal's converter")

    def _get(self, env: dict[int, torch.Tensor], t: int) -> torch.Tensor:
        if t in env:
            return env[t]
        w = self.weights[str(t)]
        return w.permute(0, 3, 1, 2) if w.ndim == 4 else w.reshape(1, -1, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        env: dict[int, torch.Tensor] = {self.inputs[0]: x}
        for name, ins, outs, o in self.ops:
            if name == "DEQUANTIZE":
                continue
            if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
                inp = env[ins[0]]
                w = self.weights[str(ins[1])]  # OHWI (conv) or 1HW(C*m) (depthwise)
                b = self.weights[str(ins[2])] if len(ins) > 2 and ins[2] >= 0 else None
                if name == "CONV_2D":
                    weight, groups = w.permute(0, 3, 1, 2), 1
                else:
                    weight, groups = w.permute(3, 0, 1, 2), inp.shape[1]
                k = (int(weight.shape[2]), int(weight.shape[3]))
                if o["same"]:
                    inp = _same_pad(inp, k, o["stride"], o["dilation"])
                y = F.conv2d(inp, weight, b, o["stride"], 0, o["dilation"], groups)
                y = _act(y, o["act"])
            elif name == "Convolution2DTransposeBias":
                inp = env[ins[0]]
                w = self.weights[str(ins[1])]  # OHWI -> torch (I, O, kh, kw)
                b = self.weights[str(ins[2])]
                y = F.conv_transpose2d(inp, w.permute(3, 0, 1, 2), b, o["stride"])
                oh, ow = inp.shape[2] * o["stride"][0], inp.shape[3] * o["stride"][1]
                th, tw = y.shape[2] - oh, y.shape[3] - ow
                y = y[:, :, th // 2 : th // 2 + oh, tw // 2 : tw // 2 + ow]
            elif name in ("ADD", "MUL"):
                a, c = self._get(env, ins[0]), self._get(env, ins[1])
                y = _act(a + c if name == "ADD" else a * c, o["act"])
            elif name == "RELU":
                y = torch.relu(env[ins[0]])
            elif name == "RELU6":
                y = torch.clamp(env[ins[0]], 0.0, 6.0)
            elif name == "HARD_SWISH":
                v = env[ins[0]]
                y = v * torch.clamp(v + 3.0, 0.0, 6.0) / 6.0
            elif name == "LOGISTIC":
                y = torch.sigmoid(env[ins[0]])
            elif name == "AVERAGE_POOL_2D":
                y = _act(F.avg_pool2d(env[ins[0]], o["kernel"], o["stride"]), o["act"])
            elif name == "RESIZE_BILINEAR":
                size = [int(v) for v in self.consts[ins[1]]]
                y = F.interpolate(env[ins[0]], size=size, mode="bilinear", align_corners=False)
            else:  # pragma: no cover - refused in _options
                raise ModelFileError(f"TFLite operator {name} is not supported")
            env[outs[0]] = y
        return env[self.outputs[0]]


def tflite_to_torch(path: str | os.PathLike) -> TFLiteModule:
    """The TFLite graph at ``path`` as a PyTorch module (NCHW in, NCHW out)."""
    return TFLiteModule(path).eval()
