"""Export a YOLOX detector to ONNX with its :class:`~foveal.zoo.meta.ModelMeta`.

Exporting builds the PyTorch network and checks the file against it (seconds), so the example
is not run here::

    from foveal.zoo import get
    report = export_detector(get("yolox_nano.coco"), "yolox_nano.onnx")
    print(report)   # yolox_nano.onnx: opset 17, max |onnx - torch| = 1.85e-05 (<= 0.001)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from foveal.tasks.detect.decode import PAD_VALUE, STRIDES, DetectParams
from foveal.zoo import ModelSpec
from foveal.zoo.meta import ModelMeta, Preprocess


def detector_meta(
    name: str,
    labels: Sequence[str],
    input_size: tuple[int, int],
    *,
    strides: Sequence[int] = STRIDES,
    pad: int = PAD_VALUE,
    **params: Any,
) -> ModelMeta:
    """The metadata of a YOLOX detector: letterbox top-left (pad ``pad``), BGR 0-255, no
    mean/std; raw ``(A, 5 + C)`` output decoded with ``strides``.

    >>> detector_meta("m", ["a"], (256, 256)).params
    {'strides': [8, 16, 32], 'pad': 114, 'format': 'yolox'}
    """
    pre = Preprocess(
        input_size=(int(input_size[0]), int(input_size[1])),
        resize=None,
        crop=False,
        mean=(0.0, 0.0, 0.0),
        std=(1.0, 1.0, 1.0),
        scale=1.0,
        interpolation="bilinear",
        channel_order="BGR",
    )
    return ModelMeta(
        name,
        "detect",
        tuple(str(x) for x in labels),
        pre,
        {"strides": [int(s) for s in strides], "pad": int(pad), "format": "yolox", **params},
    )


def export_network(net: Any, meta: ModelMeta, out: str | os.PathLike) -> Any:
    """Write a PyTorch YOLOX as ONNX (raw ``(N, A, 5 + C)`` output, dynamic batch); the parity
    with PyTorch is checked on export."""
    import torch

    from foveal.runtime.export import export_onnx

    h, w = meta.preprocess.input_size
    sample = torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(0)) * 255
    return export_onnx(
        net.eval(),
        sample,
        out,
        input_names=("images",),
        output_names=("output",),
        dynamic_axes={"images": {0: "batch"}, "output": {0: "batch"}},
        meta=meta,
        atol=1e-3,
    )


def export_detector(
    spec: ModelSpec,
    out: str | os.PathLike,
    *,
    weights: str | os.PathLike | None = None,
    net: Any = None,
) -> Any:
    """Export a zoo detector (foveal's PyTorch YOLOX with its weights) to ONNX.

    The exported file runs with ``Detector(path)`` and has a dynamic batch axis.
    """
    from foveal.nn.detectors.yolox import load_pretrained

    if net is None:
        net = load_pretrained(spec, weights=weights)
    params = DetectParams.of(spec.meta)
    meta = detector_meta(
        spec.name,
        spec.label_names(),
        params.size(spec.meta),
        strides=params.strides,
        pad=params.pad,
    )
    return export_network(net, meta, out)
