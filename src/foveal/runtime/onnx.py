"""ONNX Runtime execution."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from foveal.errors import ConfigError, FovealError, ModelFileError
from foveal.runtime.threads import ThreadPlan, plan_threads, quiet_opencv, usable_cpus
from foveal.zoo.load import first_line
from foveal.zoo.meta import ModelMeta


def default_threads() -> int:
    """Intra-op threads of a new session: ``FOVEAL_THREADS``, else the CPUs this process may use
    less those other processes keep busy (see :func:`foveal.runtime.threads.plan_threads`)."""
    return plan_threads().threads


DEVICES = ("cpu", "cuda", "auto")
"""Where ONNX Runtime runs networks: ``cuda`` is its CUDAExecutionProvider, ``auto`` is CUDA when
this ONNX Runtime build has it, else the CPU."""


def providers_for(device: str | None = None) -> list[str]:
    """ONNX Runtime execution providers for ``device`` (default: ``FOVEAL_DEVICE``, else ``cpu``).

    >>> providers_for("cpu")
    ['CPUExecutionProvider']
    >>> providers_for("auto")[-1]
    'CPUExecutionProvider'

    Raises:
        ConfigError: an unknown device, or ``cuda`` where this ONNX Runtime build has no CUDA.
    """
    import onnxruntime as ort

    device = device or os.environ.get("FOVEAL_DEVICE") or "cpu"
    if device not in DEVICES:
        raise ConfigError(
            f"device {device!r} is not known; choose one of {', '.join(DEVICES)} "
            "(--device or FOVEAL_DEVICE)"
        )
    cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    if device == "cuda" and not cuda:
        raise ConfigError(
            f"device 'cuda' is not available in this ONNX Runtime build ({ort.__version__}, "
            "CPU only); install onnxruntime-gpu for CUDA, or use --device cpu or auto"
        )
    if device == "cpu" or not cuda:
        return ["CPUExecutionProvider"]
    return ["CUDAExecutionProvider", "CPUExecutionProvider"]


class OnnxModel:
    """An ONNX Runtime session with foveal's defaults (CPU, full graph optimisation, threads and
    spinning chosen from the machine's load: :func:`foveal.runtime.threads.plan_threads`).

    Args:
        path: the ``.onnx`` file.
        threads: intra-op threads (default: ``FOVEAL_THREADS``, else the free CPUs).
        spin: whether idle intra-op threads spin (default: ``FOVEAL_SPIN``, else on when the
            machine has a free CPU for every thread).
        plan: a :class:`ThreadPlan` to reuse as it is (e.g. the fp32 session's, for its int8
            twin), instead of ``threads`` and ``spin``.
        providers: execution providers (default: :func:`providers_for` ``FOVEAL_DEVICE``, CPU
            when unset).
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        threads: int | None = None,
        spin: bool | None = None,
        providers: Sequence[str] | None = None,
        plan: ThreadPlan | None = None,
    ) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        if not self.path.is_file():
            raise ModelFileError(f"{self.path}: no such ONNX file")
        self.plan: ThreadPlan = plan if plan is not None else plan_threads(threads, spin)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.plan.threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        # Spinning buys the second thread at batch 1 on an idle machine; on a busy one the spinning
        # threads steal the CPU from other processes and from decoding threads (docs/speed.md).
        spin_on = "1" if self.plan.spin else "0"
        opts.add_session_config_entry("session.intra_op.allow_spinning", spin_on)
        if self.plan.spin and self.plan.threads >= usable_cpus():
            quiet_opencv()  # its pool would only fight the spinning threads
        try:
            self.session = ort.InferenceSession(
                str(self.path),
                sess_options=opts,
                providers=list(providers or providers_for()),
            )
        except Exception as exc:  # noqa: BLE001 - ORT raises its own exception types
            raise ModelFileError(
                f"{self.path} is not an ONNX model ONNX Runtime can load ({first_line(exc)}); "
                "give a file written by 'foveal export' or 'foveal train'"
            ) from exc
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.input_shapes = [i.shape for i in self.session.get_inputs()]

    @property
    def max_batch(self) -> int | None:
        """The fixed batch size of the first input, or ``None`` when it is dynamic."""
        dim = self.input_shapes[0][0] if self.input_shapes and self.input_shapes[0] else None
        return dim if isinstance(dim, int) and dim > 0 else None

    def meta(self) -> ModelMeta | None:
        """The embedded :class:`ModelMeta`, or ``None`` for a file foveal did not write."""
        raw = self.session.get_modelmeta().custom_metadata_map.get(META_KEY)
        return ModelMeta.from_json(raw, source=str(self.path)) if raw else None

    def run(self, *inputs: np.ndarray, outputs: Sequence[str] | None = None) -> list[np.ndarray]:
        """Run on positional inputs (in the model's input order); returns every output."""
        if len(inputs) != len(self.input_names):
            raise FovealError(
                f"{self.path.name} takes {len(self.input_names)} input(s), got {len(inputs)}"
            )
        feed = {n: np.ascontiguousarray(x) for n, x in zip(self.input_names, inputs, strict=True)}
        try:
            return self.session.run(list(outputs) if outputs else None, feed)
        except Exception as exc:  # noqa: BLE001 - ORT raises its own exception types
            shapes = ", ".join(str(list(x.shape)) for x in inputs)
            raise ModelFileError(
                f"{self.path} failed on input(s) of shape {shapes} ({first_line(exc)}); its "
                "metadata does not fit its network: use a file written by 'foveal export' or "
                "'foveal train'"
            ) from exc


META_KEY = "foveal"
"""The ONNX metadata key under which :func:`foveal.runtime.export.export_onnx` stores ModelMeta."""


def read_meta(path: str | os.PathLike) -> ModelMeta | None:
    """The :class:`ModelMeta` embedded in an ONNX file (the one parser), or ``None`` when the file
    has no foveal metadata.

    Raises:
        ModelFileError: the file is missing or not an ONNX model.
    """
    import onnx

    p = Path(path)
    if not p.is_file():
        raise ModelFileError(f"{p}: no such model file")
    try:
        model = onnx.load(str(p), load_external_data=False)
    except Exception as exc:  # noqa: BLE001 - protobuf DecodeError and friends
        raise ModelFileError(f"{p} is not an ONNX model ({type(exc).__name__})") from exc
    props = {prop.key: prop.value for prop in model.metadata_props}
    raw = props.get(META_KEY)
    return ModelMeta.from_json(raw, source=str(p)) if raw else None
