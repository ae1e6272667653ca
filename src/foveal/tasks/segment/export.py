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
