"""ONNX export with a checker pass, a numeric parity check against PyTorch, and embedded
metadata."""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import ExportError
from foveal.runtime.onnx import META_KEY
from foveal.utils.files import atomic_write_bytes
from foveal.zoo.meta import ModelMeta


@dataclass
class ExportReport:
    path: Path
    max_abs_diff: float
    atol: float
    opset: int

    def __str__(self) -> str:
        return (
            f"{self.path}: opset {self.opset}, max |onnx - torch| = {self.max_abs_diff:.2e} "
            f"(<= {self.atol:g})"
        )


def export_onnx(
    module: Any,
    sample: Any,
    path: str | os.PathLike,
    *,
    input_names: Sequence[str] = ("input",),
    output_names: Sequence[str] = ("output",),
    dynamic_axes: dict[str, dict[int, str]] | None = None,
    meta: ModelMeta | None = None,
    opset: int = 17,
    atol: float = 1e-4,
    check_inputs: Any = None,
) -> ExportReport:
    """Export ``module`` to ONNX at ``path`` (written atomically) and verify it.

    Args:
        module: a PyTorch ``nn.Module`` (put in eval mode here).
        sample: example input tensor (or tuple of tensors) used for tracing.
        dynamic_axes: e.g. ``{"input": {0: "batch"}, "output": {0: "batch"}}``.
        meta: the model's :class:`ModelMeta` (task, labels, preprocessing, parameters), stored
            under the ``foveal`` metadata key and read back by :func:`foveal.runtime.read_meta`.
        atol: the largest absolute difference allowed between ONNX Runtime and PyTorch outputs.
        check_inputs: inputs for the parity check (default: ``sample``).

    Raises:
        ExportError: export, the ONNX checker or the parity check failed.
    """
    import onnx
    import torch

    module = module.eval()
    args = sample if isinstance(sample, tuple) else (sample,)
    buf = io.BytesIO()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module,
                args,
                buf,
                input_names=list(input_names),
                output_names=list(output_names),
                dynamic_axes=dynamic_axes,
                opset_version=opset,
                do_constant_folding=True,
                dynamo=False,
            )
    except Exception as exc:  # noqa: BLE001
        raise ExportError(f"torch.onnx.export failed: {exc}") from exc
    model = onnx.load_from_string(buf.getvalue())
    try:
        onnx.checker.check_model(model)
    except Exception as exc:  # noqa: BLE001
        raise ExportError(f"the exported model fails the ONNX checker: {exc}") from exc
    if meta is not None:
        entry = model.metadata_props.add()
        entry.key = META_KEY
        entry.value = meta.to_json()
    data = model.SerializeToString()

    import onnxruntime as ort

    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    check = check_inputs if check_inputs is not None else args
    check = check if isinstance(check, tuple) else (check,)
    with torch.no_grad():
        ref = module(*check)
    ref_list = [r.numpy() for r in (ref if isinstance(ref, (list, tuple)) else (ref,))]
    got = sess.run(None, {n: t.numpy() for n, t in zip(input_names, check, strict=True)})
    diff = max(
        float(np.max(np.abs(a - b))) if a.size else 0.0 for a, b in zip(got, ref_list, strict=True)
    )
    if not diff <= atol:
        raise ExportError(
            f"ONNX Runtime and PyTorch disagree by {diff:.3g} (> {atol:g}); not written"
        )

    out = atomic_write_bytes(path, data)
    return ExportReport(out, diff, atol, opset)
