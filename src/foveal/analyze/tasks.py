"""The task table: a task name -> the public verb in :mod:`foveal.api` that runs it.

Verbs are looked up lazily, when a task is first used, so a task whose verb is not part of this
installation (or whose weights are missing) fails with an error that names it, and the others run.

>>> from foveal.analyze.tasks import run_task
>>> run_task("classify", image, top_k=1)["top"][0]["name"]      # doctest: +SKIP
'tabby'
>>> parse_tasks("classify,ocr")                                  # doctest: +SKIP
['classify', 'ocr']
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from foveal.errors import ConfigError, FovealError

LOAD_LOCK = threading.RLock()
"""Held while a task's model loads for the first time: loading (e.g. an ONNX export) is not thread-safe."""


class TaskUnavailableError(FovealError):
    """A task's verb is not installed, or its model cannot be loaded here."""


@dataclass(frozen=True)
class Task:
    """One analysis task.

    Attributes:
        name: the name users type (``--tasks classify,detect``).
        verb: the function in :mod:`foveal.api` that runs it.
        issue: where the verb comes from, for error messages.
        options: the keyword arguments users may set, with their defaults (``None``: the verb's default).
        help: one line for ``--help`` and ``/v1/models``.
    """

    name: str
    verb: str
    issue: str
    options: dict[str, Any] = field(default_factory=dict)
    help: str = ""

    def function(self) -> Callable[..., Any]:
        """The verb, imported now. Raises :class:`TaskUnavailableError` when it is not installed."""
        api = importlib.import_module("foveal.api")
        fn = getattr(api, self.verb, None)
        if fn is None:
            raise TaskUnavailableError(
                f"task {self.name!r} needs foveal.api.{self.verb}() ({self.issue}), which this foveal "
                f"installation does not have; choose among the available tasks: "
                f"{', '.join(t for t in TASKS if verb_installed(t)) or 'none'}"
            )
        return fn

    def kwargs(self, opts: dict[str, Any] | None) -> dict[str, Any]:
        """Keyword arguments for the verb: the options given, minus those left at ``None``."""
        opts = dict(opts or {})
        unknown = set(opts) - set(self.options)
        if unknown:
            raise ConfigError(
                f"task {self.name!r} has no option(s) {', '.join(sorted(unknown))}; "
                f"it takes {', '.join(sorted(self.options)) or 'none'}"
            )
        merged = {**self.options, **opts}
        return {k: v for k, v in merged.items() if v is not None}


TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        Task("classify", "classify", "the classification task",
             {"model": None, "top_k": 5}, "ImageNet classes (top-k with probabilities)"),
        Task("detect", "detect", "the detection task, issue 3",
             {"model": None, "conf": None, "iou": None}, "objects: COCO boxes with class names"),
        Task("faces", "detect_faces", "the faces task, issue 4",
             {"model": None, "conf": None}, "face boxes with 5 landmarks"),
        Task("identify", "identify", "the faces task, issue 4",
             {"threshold": None}, "faces named from the enrolled gallery ($FOVEAL_HOME/faces.db)"),
        Task("ocr", "read_text", "the OCR task, issue 5",
             {"model": None}, "text lines with polygons, in reading order"),
    )
}

ALL_TASKS = ("classify", "detect", "faces", "ocr")
"""What ``--tasks all`` tries (``identify`` needs an enrolled gallery, so it is opt-in)."""


def get_task(name: str) -> Task:
    try:
        return TASKS[name]
    except KeyError:
        raise ConfigError(f"unknown task {name!r}; choose among {', '.join(TASKS)} or 'all'") from None


def verb_installed(name: str) -> bool:
    """Whether the task's verb exists in :mod:`foveal.api` (cheap: loads no model)."""
    return hasattr(importlib.import_module("foveal.api"), TASKS[name].verb)


def parse_tasks(text: str | Sequence[str]) -> list[str]:
    """``"classify,ocr"`` -> ``["classify", "ocr"]``; ``"all"`` -> :data:`ALL_TASKS` (unchecked)."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for raw in items:
        name = raw.strip()
        if not name:
            continue
        names = list(ALL_TASKS) if name == "all" else [get_task(name).name]
        out += [n for n in names if n not in out]
    if not out:
        raise ConfigError(f"no task given in {text!r}; e.g. --tasks classify,detect or --tasks all")
    return out


_PROBE = np.full((64, 64, 3), 127, np.uint8)


def check_task(name: str, opts: dict[str, Any] | None = None) -> str | None:
    """``None`` if the task runs here, else the reason it does not (verb missing, weights missing ...).

    Runs the verb once on a small grey image, which loads its model (kept for later calls).
    """
    task = get_task(name)
    try:
        fn = task.function()
        with LOAD_LOCK:
            fn(_PROBE, **task.kwargs(opts))
    except FovealError as exc:
        return str(exc)
    except ImportError as exc:
        return f"a package it needs is not installed: {exc}"
    return None


def resolve_tasks(
    text: str | Sequence[str], opts: dict[str, dict[str, Any]] | None = None
) -> tuple[list[str], dict[str, str]]:
    """The tasks to run and, for ``all``, those skipped with the reason.

    Named tasks must work (else :class:`TaskUnavailableError`); ``all`` keeps the ones that do.
    """
    opts = opts or {}
    wants_all = "all" in ([t.strip() for t in text.split(",")] if isinstance(text, str) else list(text))
    names = parse_tasks(text)
    ok: list[str] = []
    skipped: dict[str, str] = {}
    for name in names:
        reason = check_task(name, opts.get(name))
        if reason is None:
            ok.append(name)
        elif wants_all and name in ALL_TASKS:
            skipped[name] = reason
        else:
            raise TaskUnavailableError(f"task {name!r} cannot run: {reason}")
    if not ok:
        raise TaskUnavailableError(
            "no task can run here: " + "; ".join(f"{k}: {v}" for k, v in skipped.items())
        )
    return ok, skipped


def run_task(name: str, image: np.ndarray, **opts: Any) -> dict[str, Any]:
    """Run one task on an RGB image; the result's ``to_dict()``."""
    task = get_task(name)
    return task.function()(image, **task.kwargs(opts)).to_dict()


# ---- batched paths (same numbers as the verbs, several images per network call) ----


def prepare_batch(name: str, opts: dict[str, Any] | None) -> Callable[[np.ndarray], Any] | None:
    """A per-image preparation function run in the decoding threads, or ``None`` (no batched path)."""
    if name != "classify":
        return None
    clf = _classifier(opts)
    from foveal.tasks.classification import preprocess

    cfg = clf.preprocess_cfg
    return lambda image: preprocess(image, cfg)


def run_batch(name: str, prepared: list[Any], opts: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Results for a batch of prepared images (tasks for which :func:`prepare_batch` is not None)."""
    if name != "classify":
        raise ConfigError(f"task {name!r} has no batched path")
    from foveal.tasks.classification import softmax, topk

    kw = get_task("classify").kwargs(opts)
    clf = _classifier(opts)
    logits, _ = clf._forward(np.stack(prepared))
    probs = softmax(logits)
    return [topk(p, kw.get("top_k", 5), clf.labels, clf.name).to_dict() for p in probs]


def _classifier(opts: dict[str, Any] | None) -> Any:
    """The classifier the ``classify`` verb uses (shared cache: one model in memory)."""
    import inspect

    api = importlib.import_module("foveal.api")
    sig = inspect.signature(api.classify)
    kw = get_task("classify").kwargs(opts)
    model = kw.get("model", sig.parameters["model"].default)
    backend = sig.parameters["backend"].default
    return api._classifier(os.fspath(model), backend)
