"""Execution: the same network runs through ONNX Runtime (default on CPU) or PyTorch.

>>> from foveal.runtime import OnnxModel
>>> m = OnnxModel("model.onnx")                     # doctest: +SKIP
>>> (logits,) = m.run(batch)                        # doctest: +SKIP
"""

from foveal.runtime.onnx import OnnxModel, read_metadata
from foveal.runtime.torch import TorchModel

BACKENDS = ("onnx", "torch")


def check_backend(backend: str) -> str:
    from foveal.errors import ConfigError

    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return backend


__all__ = ["BACKENDS", "OnnxModel", "TorchModel", "check_backend", "read_metadata"]
