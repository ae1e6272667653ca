"""One resolver for every task: a zoo name, an ``.onnx`` file or a run folder -> a runner and its
:class:`~foveal.zoo.meta.ModelMeta`.

>>> local_onnx("mobilenet_v2.imagenet") is None
True
>>> looks_like_path("mobilenet_v2.imagenet"), looks_like_path("missing.onnx")
(False, True)
>>> looks_like_path("runs/classify/1"), looks_like_path("weights.pth")
(True, True)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foveal.errors import ConfigError, ModelFileError, WeightsNotFoundError
from foveal.runtime.onnx import OnnxModel
from foveal.runtime.torch import TorchModel
from foveal.zoo.meta import ModelMeta
from foveal.zoo.registry import ModelSpec, get
from foveal.zoo.resolve import foveal_home, resolve_weights, search_path, sha256_file

BACKENDS = ("onnx", "torch")

Exporter = Callable[[ModelSpec, Path, Path], Any]
"""``export(spec, out_path, weights_path)``: writes the zoo model as a foveal ONNX file."""
TorchBuilder = Callable[[ModelSpec, "str | os.PathLike | None"], Any]
"""``build(spec, weights)``: the pretrained PyTorch module (its outputs match the ONNX file's)."""


def check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return backend


MODEL_FILE_SUFFIXES = (".onnx", ".pt", ".pth", ".safetensors", ".bin", ".ckpt")
"""Suffixes that make a ``model`` argument a file name, never a zoo name."""


def looks_like_path(model: str | os.PathLike) -> bool:
    """Whether ``model`` names a file or folder rather than a zoo entry: it exists, holds a path
    separator, or ends with a model file suffix (zoo names are ``arch.tag``)."""
    text = os.fspath(model)
    seps = [s for s in (os.sep, os.altsep, "/") if s]
    return (
        Path(text).exists()
        or any(s in text for s in seps)
        or text.lower().endswith(MODEL_FILE_SUFFIXES)
    )


def not_a_model(model: str | os.PathLike) -> ModelFileError:
    """The error for a ``model`` path that is not an ONNX file or a run folder holding one."""
    path = Path(model)
    fix = "give a zoo name ('foveal models list'), a foveal .onnx file or a training run folder"
    if path.is_dir():
        return ModelFileError(f"{path} is a folder without model.onnx, not a run folder; {fix}")
    if not path.exists():
        what = "" if path.suffix.lower() in MODEL_FILE_SUFFIXES else " or run folder"
        return ModelFileError(f"{path}: no such model file{what}; {fix}")
    if path.suffix.lower() in MODEL_FILE_SUFFIXES:
        return ModelFileError(
            f"{path} is a {path.suffix} weights file; it runs as part of a zoo model or a run "
            f"folder, not alone: {fix}"
        )
    return ModelFileError(f"{path} is not a model file (expected .onnx); {fix}")


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


PACK_HINT = (
    "pip install 'foveal[train]' to export it, or run 'foveal models pack DIR' where torch is "
    "installed and set FOVEAL_WEIGHTS_PATH=DIR"
)
"""How to get the ONNX file of a zoo model whose weights are not ONNX, without PyTorch."""


def packed_name(spec: ModelSpec) -> str:
    """The file name of a zoo model's inference ONNX as ``foveal models pack`` and the export
    cache write it: the model's name and the start of its weights' sha256.

    >>> from foveal.zoo import get
    >>> packed_name(get("mobilenet_v2.imagenet"))
    'mobilenet_v2.imagenet-b03531047f.onnx'
    """
    return f"{spec.name}-{spec.weights.sha256[:10]}.onnx"


def packed_onnx(spec: ModelSpec) -> Path | None:
    """The inference ONNX of a zoo model whose weights are not ONNX, already written: in a
    ``FOVEAL_WEIGHTS_PATH`` folder (``foveal models pack DIR``) or the export cache
    (``$FOVEAL_HOME/onnx``). ``None`` when there is none (or the weights are ONNX themselves)."""
    if spec.weights.format == "onnx":
        return None
    for folder in [*search_path(), foveal_home() / "onnx"]:
        path = folder / packed_name(spec)
        if path.is_file():
            return path
    return None


def exported_onnx(spec: ModelSpec, weights: Path, export: Exporter | None) -> Path:
    """The zoo model as ONNX: the weights file itself when it is one, a packed file
    (:func:`packed_onnx`) of these weights, else an export cached under ``$FOVEAL_HOME/onnx``
    (written once, announced on stderr; exporting needs PyTorch)."""
    if spec.weights.format == "onnx":
        return weights
    digest = sha256_file(weights)
    packed = packed_onnx(spec) if digest == spec.weights.sha256 else None
    if packed is not None:
        return packed
    out = foveal_home() / "onnx" / f"{spec.name}-{digest[:10]}.onnx"
    if not out.is_file():
        if export is None:
            raise ConfigError(f"{spec.name} has {spec.weights.format} weights and no ONNX export")
        print(f"foveal: exporting {spec.name} to ONNX once ({out})", file=sys.stderr)
        try:
            export(spec, out, weights)
        except ModuleNotFoundError as exc:
            if exc.name not in ("torch", "torchvision"):
                raise
            raise ConfigError(
                f"{spec.name} has {spec.weights.format} weights ({weights.name}) and no ONNX file "
                f"{packed_name(spec)}; exporting it needs PyTorch, which is not installed: "
                f"{PACK_HINT}"
            ) from None
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
    a_wanted = ("an " if wanted[:1] in "aeiou" else "a ") + wanted
    path = local_onnx(model)
    if path is None and looks_like_path(model):
        raise not_a_model(model)
    if path is not None:
        if not path.is_file():
            raise not_a_model(path)
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
            raise ModelFileError(f"{path} is a {meta.task} model; expected {a_wanted} model")
        return OpenedModel(runner, meta, None, path)
    spec = get(os.fspath(model))
    if spec.task not in tasks:
        raise ConfigError(
            f"{spec.name} is a {spec.task} model, not {a_wanted} model; see 'foveal models list'"
        )
    if backend == "torch":
        if build_torch is None:
            raise ConfigError(f"{spec.name} has no PyTorch implementation; use backend='onnx'")
        return OpenedModel(TorchModel(build_torch(spec, weights), threads=threads), spec.meta, spec)
    packed = packed_onnx(spec) if weights is None and onnx_file is None else None
    if packed is not None:
        return OpenedModel(OnnxModel(packed, threads=threads), spec.meta, spec, packed)
    try:
        wpath = resolve_weights(spec, weights)
    except WeightsNotFoundError as exc:
        if spec.weights.format == "onnx" or weights is not None:
            raise
        raise WeightsNotFoundError(
            f"{exc}; or use its inference file {packed_name(spec)} ('foveal models pack DIR' "
            "writes it) from a FOVEAL_WEIGHTS_PATH folder"
        ) from None
    file = onnx_file(spec, wpath) if onnx_file is not None else exported_onnx(spec, wpath, export)
    return OpenedModel(OnnxModel(file, threads=threads), spec.meta, spec, file)
