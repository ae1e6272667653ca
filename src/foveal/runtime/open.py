"""One resolver for every task: a zoo name, an ``.onnx`` file or a run folder -> a runner and its
:class:`~foveal.zoo.meta.ModelMeta`.

>>> local_onnx("mobilenet_v2.imagenet") is None
True
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foveal.errors import ConfigError, ModelFileError
from foveal.runtime.onnx import OnnxModel
from foveal.runtime.torch import TorchModel
from foveal.zoo.meta import ModelMeta
from foveal.zoo.registry import ModelSpec, get
from foveal.zoo.resolve import foveal_home, resolve_weights, sha256_file

BACKENDS = ("onnx", "torch")

Exporter = Callable[[ModelSpec, Path, Path], Any]
"""``export(spec, out_path, weights_path)``: writes the zoo model as a foveal ONNX file."""
TorchBuilder = Callable[[ModelSpec, "str | os.PathLike | None"], Any]
"""``build(spec, weights)``: the pretrained PyTorch module (its outputs match the ONNX file's)."""


def check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return backend


def local_onnx(model: str | os.PathLike) -> Path | None:
    """The ONNX file ``model`` names: an ``.onnx`` path, or a run folder holding ``model.onnx``.
    ``None`` for anything else (a zoo name). The file may not exist; callers check.
    """
    path = Path(model)
    if path.is_dir() and (path / "model.onnx").is_file():
        return path / "model.onnx"
    return path if path.suffix == ".onnx" else None


@dataclass(frozen=True)
class OpenedModel:
    """A network ready to run: its runner, what it is, and where it came from."""

    runner: OnnxModel | TorchModel
    meta: ModelMeta
    spec: ModelSpec | None = None
    """The zoo entry, when the model came from the zoo."""
    path: Path | None = None
    """The ONNX file that runs, when the backend is ONNX Runtime."""


def exported_onnx(spec: ModelSpec, weights: Path, export: Exporter | None) -> Path:
    """The zoo model as ONNX: the weights file itself when it is one, else an export cached under
    ``$FOVEAL_HOME/onnx`` (written once, announced on stderr)."""
    if spec.weights.format == "onnx":
        return weights
    out = foveal_home() / "onnx" / f"{spec.name}-{sha256_file(weights)[:10]}.onnx"
    if not out.is_file():
        if export is None:
            raise ConfigError(f"{spec.name} has {spec.weights.format} weights and no ONNX export")
        print(f"foveal: exporting {spec.name} to ONNX once ({out})", file=sys.stderr)
        export(spec, out, weights)
    return out


def open_model(
    model: str | os.PathLike,
    *,
    tasks: Collection[str],
    backend: str = "onnx",
    weights: str | os.PathLike | None = None,
    threads: int | None = None,
    export: Exporter | None = None,
    build_torch: TorchBuilder | None = None,
    onnx_file: Callable[[ModelSpec, Path], Path] | None = None,
) -> OpenedModel:
    """Open ``model`` for one of ``tasks``.

    Args:
        model: a zoo name (``arch.tag``), a foveal ``.onnx`` file, or a run folder holding
            ``model.onnx``.
        tasks: the metadata tasks the caller runs; a model of another task is refused.
        backend: ``"onnx"`` or ``"torch"`` (zoo models with a ``build_torch``).
        export: writes a zoo model whose weights are not ONNX as ONNX (see :func:`exported_onnx`).
        onnx_file: replaces :func:`exported_onnx` for zoo entries that need a derived ONNX file.

    Raises:
        ModelFileError: a missing, unreadable or foreign model file, or one of another task.
        UnknownModelError: a name that is not in the zoo.
    """
    check_backend(backend)
    wanted = " or ".join(sorted(tasks))
    path = local_onnx(model)
    if path is None and (Path(model).is_dir() or os.sep in os.fspath(model)):
        raise ModelFileError(
            f"{os.fspath(model)}: expected a zoo name, a foveal .onnx file or a run folder holding "
            "model.onnx; 'foveal models list' shows the zoo"
        )
    if path is not None:
        if not path.is_file():
            raise ModelFileError(f"{path}: no such model file")
        if backend != "onnx":
            raise ConfigError(f"{path} is an ONNX file; it runs with backend='onnx' only")
        runner = OnnxModel(path, threads=threads)
        meta = runner.meta()
        if meta is None:
            raise ModelFileError(
                f"{path} has no foveal metadata, so its task, labels and preprocessing are "
                "unknown; use a file written by 'foveal export' or 'foveal train'"
            )
        if meta.task not in tasks:
            raise ModelFileError(f"{path} is a {meta.task} model; expected a {wanted} model")
        return OpenedModel(runner, meta, None, path)
    spec = get(os.fspath(model))
    if spec.task not in tasks:
        raise ConfigError(
            f"{spec.name} is a {spec.task} model, not a {wanted} model; see 'foveal models list'"
        )
    if backend == "torch":
        if build_torch is None:
            raise ConfigError(f"{spec.name} has no PyTorch implementation; use backend='onnx'")
        return OpenedModel(TorchModel(build_torch(spec, weights), threads=threads), spec.meta, spec)
    wpath = resolve_weights(spec, weights)
    file = onnx_file(spec, wpath) if onnx_file is not None else exported_onnx(spec, wpath, export)
    return OpenedModel(OnnxModel(file, threads=threads), spec.meta, spec, file)
