"""``foveal models pack DIR``: every zoo model's inference file in one folder, so that an install
without PyTorch runs them all (``FOVEAL_WEIGHTS_PATH=DIR``).

Zoo weights that are ONNX already (YOLOX, YuNet, CenterFace, the PP-OCR networks), and MediaPipe's
``.tflite`` landmark networks (run by LiteRT), are copied under their own file names; the others
(PyTorch ``.pth`` classifiers, dlib's ``.dat`` embedder) are exported once, with their
:class:`~foveal.zoo.meta.ModelMeta`, under :func:`~foveal.runtime.open.packed_name`, where
:func:`~foveal.runtime.open.open_model` finds them before it would export.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from foveal.errors import ConfigError
from foveal.runtime.open import Exporter, packed_name
from foveal.utils.files import atomic_copy, atomic_path
from foveal.zoo.registry import ModelSpec, all_specs
from foveal.zoo.resolve import resolve_weights, sha256_file


@dataclass(frozen=True)
class Packed:
    """One model's file in the pack folder."""

    model: str
    path: Path
    action: str
    """``"copied"``, ``"exported"`` or ``"kept"`` (already there, same content)."""


RUNNABLE_AS_IS = ("onnx", "tflite")
"""Weight formats that inference reads without PyTorch (copied into the pack, not exported)."""


def pack_models(
    dest: str | os.PathLike,
    exporter: Callable[[ModelSpec], Exporter | None],
    specs: Iterable[ModelSpec] | None = None,
) -> list[Packed]:
    """Write the inference file of every zoo model (or of ``specs``) into ``dest``.

    Args:
        dest: the folder (created when missing).
        exporter: the ONNX exporter of a zoo model whose weights are not ONNX
            (``export(spec, out, weights_path)``), ``None`` when it has none.
        specs: the models (default: the whole zoo).

    Raises:
        WeightsNotFoundError: a model's weights are nowhere to be found.
        ConfigError: ``dest`` is a file, or a model has neither ONNX weights nor an exporter.
    """
    folder = Path(dest)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} is a file; give a folder to pack the models into")
    folder.mkdir(parents=True, exist_ok=True)
    done: list[Packed] = []
    for spec in specs if specs is not None else all_specs():
        weights = resolve_weights(spec)
        if spec.weights.format in RUNNABLE_AS_IS:
            out = folder / spec.weights.file
            if out.is_file() and sha256_file(out) == spec.weights.sha256:
                done.append(Packed(spec.name, out, "kept"))
                continue
            done.append(Packed(spec.name, atomic_copy(weights, out), "copied"))
            continue
        out = folder / packed_name(spec)
        if out.is_file():
            done.append(Packed(spec.name, out, "kept"))
            continue
        export = exporter(spec)
        if export is None:
            raise ConfigError(
                f"{spec.name} has {spec.weights.format} weights and no ONNX exporter; "
                "it cannot be packed"
            )
        print(f"foveal: exporting {spec.name} to {out}", file=sys.stderr)
        with atomic_path(out, suffix=".part.onnx") as tmp:
            export(spec, tmp, weights)
        done.append(Packed(spec.name, out, "exported"))
    return done
