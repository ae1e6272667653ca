"""The tasks ``foveal analyze`` and the service run, all from :data:`foveal.tasks.TASKS`.

A task is available when its predictor loads (its code imports and its model opens); one that
does not is reported with the reason. Every task runs the same way: decoding threads call
``predictor.prepare(image)``, the main loop calls ``predictor.run(prepared, options)``.

>>> parse_tasks("classify,ocr")
['classify', 'ocr']
>>> from foveal.io import load_image
>>> runner = load_runner("classify", {"top_k": 1})
>>> runner.run([runner.prepare(load_image("cat.jpg"))])[0]["top"][0]["name"]
'Egyptian cat'
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from foveal.errors import ConfigError, FovealError
from foveal.tasks import TaskSpec, all_tasks, get_task


class TaskUnavailableError(FovealError):
    """A task's predictor cannot be loaded here (its code does not import here)."""


@dataclass(frozen=True)
class TaskRunner:
    """One task as analyze runs it: the shared predictor and the validated options of this run."""

    name: str
    predictor: Any
    options: Any

    def prepare(self, image: np.ndarray) -> Any:
        """Per-image work without the network; runs in decoding threads."""
        return self.predictor.prepare(image)

    def run(self, prepared: list[Any]) -> list[dict[str, Any]]:
        """Result dicts for prepared images; an item that is an exception (its preparation failed),
        or an image the task fails on, gets ``{"error": message}`` and the others still run."""
        out: list[dict[str, Any]] = [
            {"error": str(p)} if isinstance(p, BaseException) else {} for p in prepared
        ]
        good = [i for i, p in enumerate(prepared) if not isinstance(p, BaseException)]
        if not good:
            return out
        try:
            results = self.predictor.run([prepared[i] for i in good], self.options)
        except FovealError:  # find the image(s) it fails on: one at a time
            results = [self._run_one(prepared[i]) for i in good]
        for i, res in zip(good, results, strict=True):
            out[i] = res if isinstance(res, dict) else res.to_dict()
        return out

    def _run_one(self, prepared: Any) -> Any:
        try:
            return self.predictor.run([prepared], self.options)[0]
        except FovealError as exc:
            return {"error": str(exc)}


def parse_tasks(text: str | Sequence[str]) -> list[str]:
    """``"classify,ocr"`` -> ``["classify", "ocr"]``; ``"all"`` -> every task of ``--tasks all``
    (not checked: see :func:`resolve_tasks`)."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for raw in items:
        name = raw.strip()
        if not name:
            continue
        names = all_tasks() if name == "all" else [get_task(name).name]
        out += [n for n in names if n not in out]
    if not out:
        raise ConfigError(f"no task given in {text!r}; e.g. --tasks classify,detect or --tasks all")
    return out


def load_runner(name: str, opts: dict[str, Any] | None = None) -> TaskRunner:
    """The task's shared predictor (loaded once) with the options of this run validated.

    Raises:
        ConfigError: an unknown option or a bad value.
        TaskUnavailableError: the predictor's code does not import.
        FovealError: its model cannot be opened (missing weights, wrong file ...).
    """
    spec = get_task(name)
    try:
        init, call = spec.split_options(opts)
        predictor = spec.load(**init)
    except ImportError as exc:
        raise TaskUnavailableError(f"{spec.predictor} does not import here: {exc}") from exc
    return TaskRunner(name, predictor, predictor.options(**call))


def load_runners(tasks: Sequence[str], opts: dict[str, dict[str, Any]] | None) -> list[TaskRunner]:
    opts = opts or {}
    return [load_runner(t, opts.get(t)) for t in tasks]


def check_task(name: str, opts: dict[str, Any] | None = None) -> str | None:
    """``None`` if the task loads here, else the reason it does not (code, weights, options)."""
    try:
        load_runner(name, opts)
    except FovealError as exc:
        return str(exc)
    return None


def resolve_tasks(
    text: str | Sequence[str], opts: dict[str, dict[str, Any]] | None = None
) -> tuple[list[str], dict[str, str]]:
    """The tasks to run and, for ``all``, those skipped with the reason.

    Named tasks must load (else :class:`TaskUnavailableError`); ``all`` keeps the ones that do.
    """
    opts = opts or {}
    given = [t.strip() for t in text.split(",")] if isinstance(text, str) else list(text)
    wants_all = "all" in given
    ok: list[str] = []
    skipped: dict[str, str] = {}
    for name in parse_tasks(text):
        reason = check_task(name, opts.get(name))
        if reason is None:
            ok.append(name)
        elif wants_all and name in all_tasks():
            skipped[name] = reason
        else:
            raise TaskUnavailableError(f"task {name!r} cannot run: {reason}")
    if not ok:
        raise TaskUnavailableError(
            "no task can run here: " + "; ".join(f"{k}: {v}" for k, v in skipped.items())
        )
    return ok, skipped


def run_task(name: str, image: np.ndarray, **opts: Any) -> dict[str, Any]:
    """Run one task on an RGB image; the result's ``to_dict()`` (what a record holds)."""
    runner = load_runner(name, opts)
    res = runner.run([runner.prepare(image)])[0]
    if set(res) == {"error"}:
        raise FovealError(res["error"])
    return res


# ---- option values given as text (command line, HTML form fields) ----


INIT_OPTION_TYPES: dict[str, Any] = {"threads": int}
"""Constructor options that are not text (the others name models, files and engines)."""


def option_types(spec: TaskSpec) -> dict[str, Any]:
    """The type of each option of a task: the ``Options`` field types; ``str`` for constructor
    options (model names and paths) but those of :data:`INIT_OPTION_TYPES`."""
    try:
        options_cls = spec.predictor_class().Options
    except ImportError as exc:
        raise TaskUnavailableError(f"{spec.predictor} does not import here: {exc}") from exc
    hints = typing.get_type_hints(options_cls)
    types_ = {k: INIT_OPTION_TYPES.get(k, str) for k in spec.init_options}
    types_.update({f.name: hints[f.name] for f in dataclasses.fields(options_cls)})
    return types_


def coerce_options(spec: TaskSpec, raw: dict[str, str | None]) -> dict[str, Any]:
    """Text values -> typed option values (by the ``Options`` field types); empty means unset.

    >>> from foveal.tasks import TaskSpec
    >>> spec = TaskSpec("x", "foveal.tasks.predictor:Predictor", "foveal.results:Faces", "x")
    >>> coerce_options(spec, {"model": "m.onnx"})
    {'model': 'm.onnx'}

    Raises:
        ConfigError: an unknown option, or a value of the wrong type.
    """
    known = option_types(spec)
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(
            f"task {spec.name!r} has no option(s) {', '.join(unknown)}; "
            f"it takes {', '.join(sorted(known)) or 'none'}"
        )
    out: dict[str, Any] = {}
    for key, text in raw.items():
        if text is None or str(text).strip() == "":
            continue
        out[key] = _coerce(key, str(text).strip(), known[key])
    return out


def _coerce(key: str, text: str, hint: Any) -> Any:
    members = typing.get_args(hint) if _is_union(hint) else (hint,)
    members = tuple(m for m in members if m is not type(None))
    errors: list[str] = []
    for member in members:
        try:
            return _coerce_one(text, member)
        except ValueError as exc:
            errors.append(str(exc))
    raise ConfigError(f"option {key}: {'; '.join(errors)}")


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _coerce_one(text: str, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (list, tuple, Sequence):
        return [s.strip() for s in text.split(",") if s.strip()]
    if hint is bool:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"expected true or false, got {text!r}")
    if hint is int:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None
    if hint is float:
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
    return text
