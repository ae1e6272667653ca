"""Classifiers as ONNX: one graph with two outputs, ``logits`` and the pooled ``embedding``, and
the model's :class:`~foveal.zoo.meta.ModelMeta` (labels, preprocessing) embedded.

Exporting checks the file against PyTorch and takes seconds, so the example is not run here::

    from foveal import zoo
    from foveal.tasks.classify.export import export_classifier
    report = export_classifier(zoo.get("mobilenet_v2.imagenet"), "m.onnx")
    report.max_abs_diff < 1e-4      # True (about 8e-06)
"""

from __future__ import annotations

import os
from typing import Any

import torch

from foveal.runtime.export import ExportReport, export_onnx
from foveal.zoo import ModelMeta, ModelSpec
from foveal.zoo.load import load_model


class PooledClassifier(torch.nn.Module):
    """A timm-style classifier (``forward_features``, ``forward_head``, ``classifier``) that
    returns ``(logits, embedding)``: one graph for both outputs."""

    def __init__(self, net: torch.nn.Module) -> None:
        super().__init__()
        self.inner = net

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        emb = self.inner.forward_head(self.inner.forward_features(x), pre_logits=True)
        return self.inner.classifier(emb), emb


def pooled_zoo_classifier(
    spec: ModelSpec, weights: str | os.PathLike | None = None
) -> PooledClassifier:
    """The pretrained zoo classifier, returning ``(logits, embedding)`` (the PyTorch backend)."""
    return PooledClassifier(load_model(spec, weights=weights).eval())


def export_pooled(net: torch.nn.Module, meta: ModelMeta, out: str | os.PathLike) -> ExportReport:
    """Write ``net`` as a ``(logits, embedding)`` graph with a dynamic batch axis at the input
    size of ``meta.preprocess``, checked against PyTorch."""
    h, w = meta.preprocess.input_size
    gen = torch.Generator().manual_seed(0)
    sample = torch.randn(1, 3, h, w, generator=gen)
    check = torch.randn(2, 3, h, w, generator=gen)
    return export_onnx(
        PooledClassifier(net.eval()),
        sample,
        out,
        input_names=("input",),
        output_names=("logits", "embedding"),
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}, "embedding": {0: "batch"}},
        meta=meta,
        check_inputs=check,
    )


def export_classifier(
    spec: ModelSpec,
    out: str | os.PathLike,
    weights: str | os.PathLike | None = None,
    *,
    net: Any = None,
) -> ExportReport:
    """Export a classifier to ONNX with outputs ``logits`` and ``embedding`` and the entry's
    :class:`ModelMeta` embedded.

    Args:
        spec: the zoo entry (or the entry a training run describes).
        weights: an explicit weights file (default: the zoo's).
        net: an already built network to export instead of the entry's pretrained one.
    """
    if net is None:
        net = load_model(spec, weights=weights)
    return export_pooled(net, spec.meta, out)
