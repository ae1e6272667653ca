"""Typed model metadata: what a network needs around it (task, labels, preprocessing, parameters).

Zoo entries carry a :class:`ModelMeta`, and every ONNX file foveal exports embeds the same object
(written by :func:`foveal.runtime.export.export_onnx`, read by :func:`foveal.runtime.read_meta`):
the weights carry their preprocessing, as in torchvision.

>>> meta = ModelMeta(name="toy.v1", task="classify", labels=("cat", "dog"))
>>> ModelMeta.from_json(meta.to_json()) == meta
True
>>> ModelMeta.from_dict({"name": "old", "task": "detect", "strides": [8, 16, 32]}).params
{'strides': [8, 16, 32]}
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, TypeVar

from foveal.errors import ModelFileError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

P = TypeVar("P")


@dataclass(frozen=True)
class Preprocess:
    """How an image becomes the network's input tensor.

    ``resize`` is the shorter side after resizing (then a centre crop to ``input_size``);
    ``mean``/``std`` apply to pixel values scaled by ``scale`` (1/255 maps to [0, 1]).
    """

    input_size: tuple[int, int] = (224, 224)
    resize: int | None = 256
    crop: bool = True
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    scale: float = 1.0 / 255.0
    interpolation: str = "bilinear"
    channel_order: str = "RGB"

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_size": list(self.input_size),
            "resize": self.resize,
            "crop": self.crop,
            "mean": list(self.mean),
            "std": list(self.std),
            "scale": self.scale,
            "interpolation": self.interpolation,
            "channel_order": self.channel_order,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preprocess:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ModelFileError(f"unknown preprocessing key(s) {', '.join(sorted(unknown))}")
        kw = dict(data)
        for key in ("input_size", "mean", "std"):
            if key in kw:
                kw[key] = tuple(kw[key])
        return cls(**kw)


@dataclass(frozen=True)
class ModelMeta:
    """What foveal knows about a network besides its weights.

    Attributes:
        name: ``arch.tag`` for zoo models, or the run's name.
        task: the task that runs it (a key of :data:`foveal.tasks.TASKS`, or a part of a composite
            task such as ``face_detect``, ``face_embed``, ``ocr_det``, ``ocr_rec``).
        labels: class names, index = class id.
        preprocess: how images become the input tensor.
        params: task-specific facts (strides, pad value, character set, embedding size ...);
            read them typed with :meth:`params_as`.
    """

    name: str
    task: str
    labels: tuple[str, ...] = ()
    preprocess: Preprocess = field(default_factory=Preprocess)
    params: dict[str, Any] = field(default_factory=dict)

    def params_as(self, cls: type[P]) -> P:
        """The parameters as the task's own dataclass; unknown keys are ignored, missing keys
        take the dataclass's defaults.

        >>> from dataclasses import dataclass
        >>> @dataclass(frozen=True)
        ... class Grid:
        ...     strides: tuple[int, ...] = (8, 16, 32)
        >>> ModelMeta("m", "detect", params={"strides": [8, 16]}).params_as(Grid)
        Grid(strides=(8, 16))
        """
        kw: dict[str, Any] = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name in self.params:
                value = self.params[f.name]
                kw[f.name] = tuple(value) if isinstance(value, list) else value
        try:
            return cls(**kw)
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"{self.name}: bad {self.task} parameters {kw}: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "task": self.task,
            "labels": list(self.labels),
            "preprocess": self.preprocess.to_dict(),
            "params": _jsonable(self.params),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "the model") -> ModelMeta:
        """Parse metadata; keys other than the known ones are parameters (the flat layout that
        foveal wrote before ``params`` existed reads the same)."""
        if not isinstance(data, dict):
            raise ModelFileError(
                f"{source}: foveal metadata is a {type(data).__name__}, not an object"
            )
        if not data.get("task"):
            raise ModelFileError(f"{source}: foveal metadata names no task")
        params = dict(data.get("params") or {})
        params.update({k: v for k, v in data.items() if k not in _TOP_KEYS})
        try:
            pp = (
                Preprocess.from_dict(data["preprocess"]) if data.get("preprocess") else Preprocess()
            )
            labels = tuple(str(x) for x in data.get("labels") or ())
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"{source}: bad foveal metadata: {exc}") from exc
        return cls(str(data.get("name") or source), str(data["task"]), labels, pp, params)

    @classmethod
    def from_json(cls, text: str, *, source: str = "the model") -> ModelMeta:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ModelFileError(f"{source}: foveal metadata is not valid JSON ({exc})") from exc
        return cls.from_dict(data, source=source)


_TOP_KEYS = frozenset({"name", "task", "labels", "preprocess", "params"})


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
