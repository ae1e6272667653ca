"""ONNX Runtime execution."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import FovealError


def default_threads() -> int:
    """Intra-op threads: ``FOVEAL_THREADS`` or the number of CPUs this process may use."""
    env = os.environ.get("FOVEAL_THREADS")
    if env:
        return max(1, int(env))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class OnnxModel:
    """An ONNX Runtime session with foveal's defaults (CPU, all cores, full graph optimisation).

    Args:
        path: the ``.onnx`` file.
        threads: intra-op threads (default: :func:`default_threads`).
        providers: execution providers (default: CPU).
    """

    def __init__(
        self, path: str | os.PathLike, *, threads: int | None = None, providers: Sequence[str] | None = None
    ) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        if not self.path.is_file():
            raise FovealError(f"ONNX file {self.path} does not exist")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or default_threads()
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        # Idle worker threads sleep instead of spinning: image decoding in other threads (and other
        # processes on a shared machine) get the CPU; measured faster for batched folders here.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(
                str(self.path), sess_options=opts, providers=list(providers or ["CPUExecutionProvider"])
            )
        except Exception as exc:  # noqa: BLE001 - ORT raises its own exception types
            raise FovealError(f"ONNX Runtime could not load {self.path}: {exc}") from exc
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.input_shapes = [i.shape for i in self.session.get_inputs()]

    @property
    def metadata(self) -> dict[str, str]:
        return dict(self.session.get_modelmeta().custom_metadata_map)

    def run(self, *inputs: np.ndarray, outputs: Sequence[str] | None = None) -> list[np.ndarray]:
        """Run on positional inputs (in the model's input order); returns every output."""
        if len(inputs) != len(self.input_names):
            raise FovealError(f"{self.path.name} takes {len(self.input_names)} input(s), got {len(inputs)}")
        feed = {n: np.ascontiguousarray(x) for n, x in zip(self.input_names, inputs, strict=True)}
        return self.session.run(list(outputs) if outputs else None, feed)


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The ``foveal`` metadata embedded in an ONNX file by :func:`foveal.runtime.export.export_onnx`."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    props = {p.key: p.value for p in model.metadata_props}
    raw = props.get("foveal")
    return json.loads(raw) if raw else {}
