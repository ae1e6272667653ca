"""Face networks as ONNX files: dlib's descriptor ResNet, trained embedders, CenterFace's
dynamic-size copy. Every file foveal writes carries its :class:`~foveal.zoo.meta.ModelMeta`
(task ``face_embed``; parameters :class:`foveal.tasks.faces.embed.EmbedParams`).

Converting dlib's network takes seconds, so the example is not run here::

    from foveal.zoo import get
    export_face_embedder(get("dlib_resnet.v1"), "dlib.onnx")
    # "dlib.onnx: dlib's face descriptor ResNet as ONNX (input RGB 150x150 chip, pixels 0..255;
    #  output 128-d)"
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import ConfigError
from foveal.runtime.export import ExportReport, export_onnx
from foveal.utils.files import atomic_write_bytes
from foveal.zoo.meta import ModelMeta, Preprocess
from foveal.zoo.registry import ModelSpec
from foveal.zoo.resolve import foveal_home, resolve_weights

ARCFACE_PREPROCESS = Preprocess(
    input_size=(112, 112),
    resize=None,
    crop=False,
    mean=(0.5, 0.5, 0.5),
    std=(128 / 255, 128 / 255, 128 / 255),
    scale=1 / 255,
)
"""``(pixel - 127.5) / 128`` on an aligned 112x112 RGB chip (the side scales with the chip)."""


def export_dlib_onnx(spec: ModelSpec, out: Path, weights_path: Path) -> ExportReport:
    """Convert dlib's ``.dat`` descriptor network to ONNX at ``out``, checked against PyTorch
    (the export hook :func:`foveal.runtime.open_model` calls once per weights file)."""
    import torch

    from foveal.tasks.faces.dlib_resnet import build_torch_model, read_dlib_resnet

    net = build_torch_model(read_dlib_resnet(weights_path))
    rng = np.random.default_rng(0)
    sample = torch.from_numpy(rng.uniform(0, 255, (2, 3, 150, 150)).astype(np.float32))
    digest = hashlib.sha256(Path(weights_path).read_bytes()).hexdigest()
    meta = spec.meta
    params = {**meta.params, "source_sha256": digest, "input": "RGB 150x150 dlib chip, 0..255"}
    return export_onnx(
        net,
        sample,
        out,
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        meta=ModelMeta(meta.name, meta.task, meta.labels, meta.preprocess, params),
        atol=1e-3,
    )


def export_face_embedder(
    spec: ModelSpec, out: str | os.PathLike, *, weights: str | os.PathLike | None = None
) -> str:
    """``foveal export dlib_resnet.v1 -o FILE.onnx``: a zoo face embedder as a foveal ONNX file."""
    if spec.task != "face_embed" or spec.weights.format != "dlib":
        raise ConfigError(
            f"{spec.name} is not a face embedder with dlib weights; nothing to export"
        )
    dest = Path(out)
    export_dlib_onnx(spec, dest, resolve_weights(spec, weights))
    return (
        f"{dest}: dlib's face descriptor ResNet as ONNX "
        "(input RGB 150x150 chip, pixels 0..255; output 128-d)"
    )


def export_trained_embedder(
    net: Any,
    out: str | os.PathLike,
    *,
    name: str,
    dim: int,
    image_size: int,
    threshold: float,
    extra: dict[str, Any] | None = None,
) -> ExportReport:
    """Write a trained ArcFace-style embedder (L2-normalised output, cosine distance) whose
    input is an aligned ``image_size`` chip, with its same-person ``threshold``."""
    import torch

    side = int(image_size)
    pre = Preprocess(
        input_size=(side, side),
        resize=None,
        crop=False,
        mean=ARCFACE_PREPROCESS.mean,
        std=ARCFACE_PREPROCESS.std,
        scale=ARCFACE_PREPROCESS.scale,
    )
    params = {
        "embedder": "arcface",
        "dim": int(dim),
        "metric": "cosine",
        "threshold": float(threshold),
        **(extra or {}),
    }
    return export_onnx(
        net,
        torch.zeros(2, 3, side, side),
        out,
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        meta=ModelMeta(name, "face_embed", preprocess=pre, params=params),
    )


def face_detector_onnx(spec: ModelSpec, weights_path: Path) -> Path:
    """The ONNX file a zoo face detector runs (the ``onnx_file`` hook of the face detector):
    the weights file itself, or for CenterFace a copy whose sizes are symbolic."""
    if spec.extra.get("decoder") == "centerface":
        return dynamic_centerface(weights_path)
    return weights_path


def dynamic_centerface(path: Path) -> Path:
    """CenterFace's ONNX file declares a fixed 32x32 input although the network is fully
    convolutional; write (once, atomically) a copy whose input and output sizes are symbolic."""
    stat = path.stat()
    key = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()
    digest = hashlib.sha256(key).hexdigest()[:16]
    out = foveal_home() / "derived" / f"centerface-dynamic-{digest}.onnx"
    if out.is_file():
        return out
    import onnx
    from onnx.tools.update_model_dims import update_inputs_outputs_dims

    model = onnx.load(str(path))
    # Weights listed as graph inputs (an old exporter's habit) block constant folding: drop them.
    inits = {i.name for i in model.graph.initializer}
    for inp in [i for i in model.graph.input if i.name in inits]:
        model.graph.input.remove(inp)
    ins = {i.name: ["B", 3, "H", "W"] for i in model.graph.input[:1]}
    outs: dict[str, Any] = {}
    for o, ch in zip(model.graph.output, (1, 2, 2, 10), strict=True):
        outs[o.name] = ["B", ch, "h", "w"]
    model = update_inputs_outputs_dims(model, ins, outs)
    return atomic_write_bytes(out, model.SerializeToString())
