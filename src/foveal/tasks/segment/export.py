"""U-Net segmenters as ONNX: input ``(N, 3, H, W)`` (H, W multiples of ``params["multiple"]``),
output ``probs`` ``(N, K, H, W)`` (softmax over the K classes), metadata embedded."""

from __future__ import annotations

import os

import torch

from foveal.runtime.export import ExportReport, export_onnx
from foveal.zoo.meta import ModelMeta


class WithSoftmax(torch.nn.Module):
    """A network's logits -> class probabilities (one graph for ONNX)."""

    def __init__(self, net: torch.nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(x), dim=1)


def export_unet(net: torch.nn.Module, meta: ModelMeta, out: str | os.PathLike) -> ExportReport:
    """Write ``net`` (logits) as a probabilities graph with dynamic batch, height and width,
    checked against PyTorch on another batch and size than the traced one."""
    h, w = meta.preprocess.input_size
    gen = torch.Generator().manual_seed(0)
    sample = torch.randn(1, 3, h, w, generator=gen)
    check = torch.randn(2, 3, h + 32, w, generator=gen)
    axes = {0: "batch", 2: "height", 3: "width"}
    return export_onnx(
        WithSoftmax(net.eval()),
        sample,
        out,
        input_names=("input",),
        output_names=("probs",),
        dynamic_axes={"input": axes, "probs": axes},
        meta=meta,
        check_inputs=check,
    )


def export_selfie(
    spec: object, out: str | os.PathLike, weights_path: str | os.PathLike
) -> ExportReport:
    """The MediaPipe selfie ``.tflite`` as a foveal ONNX file (input ``(N, 3, 256, 256)`` RGB in
    0..1, output ``(N, 1, 256, 256)`` person probability), checked against the PyTorch graph."""
    from foveal.tasks.segment.tflite import tflite_to_torch

    net = tflite_to_torch(weights_path)
    h, w = spec.meta.preprocess.input_size  # type: ignore[attr-defined]
    gen = torch.Generator().manual_seed(0)
    return export_onnx(
        net,
        torch.rand(1, 3, h, w, generator=gen),
        out,
        input_names=("input",),
        output_names=("mask",),
        dynamic_axes={"input": {0: "batch"}, "mask": {0: "batch"}},
        meta=spec.meta,  # type: ignore[attr-defined]
        check_inputs=torch.rand(2, 3, h, w, generator=gen),
    )


def export_zoo_segmenter(
    spec: object, out: str | os.PathLike, weights: str | os.PathLike | None = None
) -> ExportReport:
    """A zoo segmentation entry (the selfie ``.tflite``) as ONNX (``foveal models pack``)."""
    from foveal.zoo.resolve import resolve_weights

    return export_selfie(spec, out, weights if weights is not None else resolve_weights(spec))
