"""The task table: task name -> everything foveal knows about the task.

``api``, ``analyze``, ``serve`` and the CLI read :data:`TASKS`; adding a task is a new package
under ``foveal/tasks/`` plus one :func:`register_task` call (see ``docs/adding-a-task.md``).
Entries are plain strings until used, so importing foveal stays cheap.

>>> from foveal.tasks import TASKS
>>> sorted(TASKS)[:2]
['classify', 'detect']
>>> TASKS["detect"].default_model
'yolox_nano.coco'
"""

from __future__ import annotations

import dataclasses
import os
import threading
from dataclasses import dataclass
from typing import Any

from foveal.errors import ConfigError
from foveal.zoo import load_callable


@dataclass(frozen=True)
class TaskSpec:
    """One task.

    Attributes:
        name: what users type (``foveal analyze --tasks detect``, ``/v1/detect``).
        predictor: ``"module:Class"`` of its :class:`~foveal.tasks.predictor.Predictor`.
        result: ``"module:Class"`` of its result type (a :mod:`foveal.results` dataclass).
        help: one line for ``--help``, the service's task list and docs.
        default_model: the zoo model used when none is given (``None``: the task has no model
            option).
        verb: the :mod:`foveal.api` function that runs it.
        init_options: constructor keywords users may set (``model``, ``gallery`` ...); every other
            option is a call option of the predictor's ``Options``.
        train: ``"module:function"`` of its training recipe, if any.
        evaluate: ``"module:function"`` of its evaluator, if any.
        export: ``"module:function"`` exporting a zoo model of the task to ONNX, if any.
        in_all: part of ``--tasks all``.
    """

    name: str
    predictor: str
    result: str
    help: str
    default_model: str | None = None
    verb: str | None = None
    init_options: tuple[str, ...] = ("model",)
    train: str | None = None
    evaluate: str | None = None
    export: str | None = None
    in_all: bool = True

    def predictor_class(self) -> type:
        return load_callable(self.predictor)  # type: ignore[return-value]

    def result_class(self) -> type:
        return load_callable(self.result)  # type: ignore[return-value]

    def options(self) -> dict[str, Any]:
        """Every option users may set, with its default (``None``: the predictor's default)."""
        opts: dict[str, Any] = {k: None for k in self.init_options}
        options_cls = self.predictor_class().Options
        for f in dataclasses.fields(options_cls):
            default = f.default if f.default is not dataclasses.MISSING else None
            opts[f.name] = default
        return opts

    def split_options(self, opts: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(constructor keywords, call keywords)``; unknown names are a :class:`ConfigError`."""
        opts = dict(opts or {})
        known = self.options()
        unknown = sorted(set(opts) - set(known))
        if unknown:
            raise ConfigError(
                f"task {self.name!r} has no option(s) {', '.join(unknown)}; "
                f"it takes {', '.join(sorted(known)) or 'none'}"
            )
        init = {k: v for k, v in opts.items() if k in self.init_options and v is not None}
        call = {k: v for k, v in opts.items() if k not in self.init_options and v is not None}
        return init, call

    def load(self, **init: Any) -> Any:
        """The shared predictor for these constructor keywords (created once, then reused).

        Predictors keep no per-call state, so one instance serves every thread.
        """
        # files and folders by absolute path: "runs/x" names another folder after a chdir
        init = {k: _absolute(v) for k, v in init.items() if v is not None}
        key = (self.name, tuple(sorted((k, str(v)) for k, v in init.items())))
        with _LOCK:
            found = _PREDICTORS.get(key)
            if found is None:
                found = self.predictor_class()(**init)
                _PREDICTORS[key] = found
            return found

    def is_loaded(self) -> bool:
        return any(k[0] == self.name for k in _PREDICTORS)


def _absolute(value: Any) -> Any:
    if isinstance(value, (str, os.PathLike)) and os.path.exists(value):
        return os.path.abspath(value)
    return value


TASKS: dict[str, TaskSpec] = {}
"""Every task, by name, in registration order."""

_PREDICTORS: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}
_LOCK = threading.RLock()


def register_task(spec: TaskSpec) -> TaskSpec:
    """Add (or replace) a task; it then appears in the API, ``foveal analyze`` and the service."""
    TASKS[spec.name] = spec
    forget_predictors(spec.name)
    return spec


def unregister_task(name: str) -> None:
    TASKS.pop(name, None)
    forget_predictors(name)


def forget_predictors(name: str | None = None) -> None:
    """Drop cached predictors (of one task, or all), e.g. after a model file changed."""
    with _LOCK:
        for key in [k for k in _PREDICTORS if name is None or k[0] == name]:
            del _PREDICTORS[key]


def get_task(name: str) -> TaskSpec:
    try:
        return TASKS[name]
    except KeyError:
        raise ConfigError(
            f"unknown task {name!r}; choose among {', '.join(TASKS)} or 'all'"
        ) from None


def all_tasks() -> list[str]:
    """The tasks ``--tasks all`` runs."""
    return [name for name, spec in TASKS.items() if spec.in_all]


for _spec in (
    TaskSpec(
        "classify",
        "foveal.tasks.classify.predict:Classifier",
        "foveal.results:Classification",
        "ImageNet classes (top-k with probabilities)",
        "mobilenet_v2.imagenet",
        "classify",
        init_options=("model", "backend", "threads", "precision", "calibrate"),
        train="foveal.tasks.classify.train:train_classifier",
        evaluate="foveal.evaluate.classification:evaluate_classifier",
        export="foveal.tasks.classify.export:export_classifier",
    ),
    TaskSpec(
        "detect",
        "foveal.tasks.detect.predict:Detector",
        "foveal.results:Detections",
        "objects: COCO boxes with class names",
        "yolox_nano.coco",
        "detect",
        init_options=("model", "backend", "threads", "precision", "calibrate"),
        train="foveal.tasks.detect.train:train_detector",
        evaluate="foveal.tasks.detect.evaluate:evaluate_detector",
        export="foveal.tasks.detect.export:export_detector",
    ),
    TaskSpec(
        "faces",
        "foveal.tasks.faces.predict:FaceDetector",
        "foveal.results:Faces",
        "face boxes with 5 landmarks",
        "yunet.2023mar",
        "detect_faces",
        init_options=("model", "threads"),
        train="foveal.tasks.faces.train:train_face_embedder",
        evaluate="foveal.evaluate.faces:evaluate_faces",
        export="foveal.tasks.faces.export:export_face_embedder",
    ),
    TaskSpec(
        "identify",
        "foveal.tasks.faces.predict:FaceIdentifier",
        "foveal.results:Faces",
        "faces named from the enrolled gallery",
        None,
        "identify",
        init_options=("gallery", "detector", "embedder", "threads", "precision", "calibrate"),
        in_all=False,
    ),
    TaskSpec(
        "ocr",
        "foveal.tasks.ocr.predict:TextReader",
        "foveal.results:TextLines",
        "text lines with polygons, in reading order",
        "ppocr_rec.v6_small",
        "read_text",
        init_options=("model", "threads", "precision", "calibrate", "blocks"),
        train="foveal.tasks.ocr.train:train_recognizer",
        evaluate="foveal.evaluate.ocr:evaluate_ocr",
        export="foveal.tasks.ocr.export:export_recognizer",
    ),
    TaskSpec(
        "landmarks",
        "foveal.tasks.landmarks.predict:LandmarksPredictor",
        "foveal.results:Landmarks",
        "hand (21), body-pose (33) and face-mesh (468) landmarks (MediaPipe's networks)",
        None,
        "landmarks",
        init_options=(),
        in_all=False,
    ),
    TaskSpec(
        "restore",
        "foveal.tasks.restore.predict:RestorePredictor",
        "foveal.results:Restoration",
        "restored image (denoised; or your own trained restoration model)",
        "restore_unet.gaussian",
        "restore",
        init_options=("model", "backend", "threads"),
        train="foveal.tasks.restore.train:train_restorer",
        evaluate="foveal.tasks.restore.evaluate:evaluate_restorer",
        in_all=False,
    ),
    TaskSpec(
        "segment",
        "foveal.tasks.segment.predict:SegmentPredictor",
        "foveal.results:Segmentation",
        "a class for every pixel: person vs background, or a U-Net from 'foveal train segment'",
        "selfie.mediapipe",
        "segment",
        init_options=("model", "threads"),
        train="foveal.tasks.segment.train:train_segmenter",
        evaluate="foveal.tasks.segment.evaluate:evaluate_segmenter",
        export="foveal.tasks.segment.export:export_zoo_segmenter",
        in_all=False,
    ),
):
    register_task(_spec)
del _spec
