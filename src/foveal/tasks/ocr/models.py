"""Open the ONNX files of OCR models: zoo names or paths."""

from __future__ import annotations

import os
from typing import Any

from foveal.errors import ConfigError


def open_onnx(model: str | os.PathLike, task: str, *, threads: int | None = None) -> tuple[Any, str]:
    """``(OnnxModel, name)`` for a zoo name of ``task`` or an ``.onnx`` file (or a folder holding ``model.onnx``)."""
    from foveal.runtime import OnnxModel, local_onnx
    from foveal.zoo import get, resolve_weights

    path = local_onnx(model)
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"{path}: no such ONNX file; pass a zoo name or an existing .onnx file")
        return OnnxModel(path, threads=threads), path.stem
    spec = get(str(model))
    if spec.task != task:
        raise ConfigError(f"{spec.name} is a {spec.task} model; expected a {task} model here")
    return OnnxModel(resolve_weights(spec), threads=threads), spec.name
