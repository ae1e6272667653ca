"""Execution: the same network runs through ONNX Runtime (default on CPU) or PyTorch.

>>> from foveal.runtime import OnnxModel
>>> m = OnnxModel("model.onnx")                     # doctest: +SKIP
>>> (logits,) = m.run(batch)                        # doctest: +SKIP
"""

import os
from pathlib import Path

from foveal.runtime.onnx import OnnxModel, read_metadata
from foveal.runtime.torch import TorchModel

BACKENDS = ("onnx", "torch")


def check_backend(backend: str) -> str:
    from foveal.errors import ConfigError

    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return backend


def local_onnx(model: str | os.PathLike) -> Path | None:
    """The ONNX file ``model`` names: an ``.onnx`` path, or a run folder holding ``model.onnx``.
    ``None`` for anything else (a zoo name). The file may not exist; callers check.

    >>> local_onnx("mobilenet_v2.imagenet") is None
    True
    """
    path = Path(model)
    if path.is_dir() and (path / "model.onnx").is_file():
        return path / "model.onnx"
    return path if path.suffix == ".onnx" else None


__all__ = ["BACKENDS", "OnnxModel", "TorchModel", "check_backend", "local_onnx", "read_metadata"]
