"""The models a service serves (``foveal serve --models``), and no server path in any answer.

A request's ``model`` field must be one of the names allowed when the service started; any other
value (a zoo name not allowed, a path that exists on the server, one that does not) gets the same
422 answer, so the service never tells which files exist. Zoo models are served by their zoo
name; an ``.onnx`` file or run folder by its name without the folder (``runs/cls7`` -> ``cls7``).

>>> served = ServedModels.from_list(["mobilenet_v2.imagenet"])
>>> served.names()
['mobilenet_v2.imagenet']
>>> from foveal.tasks import TASKS
>>> served.resolve(TASKS["classify"], "")  # the task's default model: no option to pass
>>> served.resolve(TASKS["classify"], "/etc/passwd")
Traceback (most recent call last):
...
foveal.serve.limits.ApiError: model: this service does not serve that model for classify; ...
>>> served.redact("could not read /srv/data/weights/x.onnx")
'could not read <server path>'
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from foveal.errors import ConfigError, UnknownModelError
from foveal.runtime.open import local_onnx
from foveal.serve.limits import ApiError
from foveal.tasks import TASKS, TaskSpec
from foveal.zoo import get
from foveal.zoo.resolve import foveal_home

_ABSOLUTE = re.compile(r"(?<![\w.:/~-])(?:/[^\s'\"/:,;()<>]+){2,}/?|\b[A-Za-z]:\\[^\s'\",;()<>]+")
"""An absolute POSIX path of two or more parts, or a Windows drive path."""


def zoo_task(spec: TaskSpec) -> str | None:
    """The zoo task of a task's models (that of its default model); ``None``: it has none."""
    return get(spec.default_model).task if spec.default_model else None


def default_models() -> list[str]:
    """Each task's zoo default model: what a service serves unless told otherwise."""
    out: list[str] = []
    for spec in TASKS.values():
        if spec.default_model and spec.default_model not in out:
            out.append(spec.default_model)
    return out


@dataclass(frozen=True)
class ServedModels:
    """Public name -> what the loader gets (a zoo name, or the absolute path of a model file)."""

    by_name: dict[str, str] = field(default_factory=dict)
    file_tasks: dict[str, str | None] = field(default_factory=dict)
    """The task a served file says it is for (its foveal metadata; ``None``: it does not say)."""

    @classmethod
    def from_list(cls, entries: Sequence[str] | None) -> ServedModels:
        """Check ``--models`` entries (zoo names, ``.onnx`` files, run folders) at start-up.

        Raises:
            ConfigError: an entry that is neither a zoo name nor an existing model file, or two
                entries with the same public name.
        """
        by_name: dict[str, str] = {}
        for raw in default_models() if entries is None else entries:
            entry = str(raw).strip()
            if not entry:
                continue
            name, target = _entry(entry)
            if by_name.get(name, target) != target:
                raise ConfigError(
                    f"--models: two models are named {name!r} ({by_name[name]} and {target}); "
                    "rename one of the files"
                )
            by_name[name] = target
        return cls(by_name, {n: _file_task(t) for n, t in by_name.items() if t != n})

    def names(self) -> list[str]:
        return list(self.by_name)

    def is_file(self, name: str) -> bool:
        return self.by_name[name] != name

    def for_task(self, spec: TaskSpec) -> list[str]:
        """The public names a request for this task may send: its zoo task's models, and the
        files made for it (a file whose metadata does not say is checked when it loads)."""
        want = zoo_task(spec)

        def fits(n: str) -> bool:
            if self.is_file(n):
                return self.file_tasks.get(n) in (None, want)
            return get(n).task == want

        return [n for n in self.by_name if fits(n)]

    def default_for(self, spec: TaskSpec) -> str | None:
        """The model a request without ``model`` gets: the task's default when it is served,
        else the first served zoo model of its task."""
        zoo = [n for n in self.for_task(spec) if not self.is_file(n)]
        if spec.default_model in zoo:
            return spec.default_model
        return zoo[0] if zoo else None

    def serves(self, spec: TaskSpec) -> bool:
        """Whether a request for this task without ``model`` can be answered."""
        return "model" not in spec.init_options or self.default_for(spec) is not None

    def resolve(self, spec: TaskSpec, requested: str | None) -> str | None:
        """The ``model`` option to load for a request; ``None``: pass none (the task's default).

        Raises:
            ApiError: 422 for a model that is not served (one text, whatever the value names);
                501 when the service serves no model for this task.
        """
        if "model" not in spec.init_options:
            return None
        requested = (requested or "").strip()
        if not requested:
            name = self.default_for(spec)
            if name is None:
                raise ApiError(
                    501,
                    f"this service serves no model for {spec.name}; start it with "
                    f"'foveal serve --models NAME' naming a model of task {zoo_task(spec)} "
                    "('foveal models list')",
                )
            return None if name == spec.default_model else self.by_name[name]
        if requested not in self.for_task(spec):
            served = ", ".join(self.for_task(spec)) or "none"
            raise ApiError(
                422,
                f"model: this service does not serve that model for {spec.name}; send one of: "
                f"{served} (or no model for the default)",
            )
        return None if requested == spec.default_model else self.by_name[requested]

    def redact(self, text: str) -> str:
        """``text`` with the server's paths replaced: model files by their public names,
        ``$FOVEAL_HOME`` and the weights folders by those names, any other absolute path by
        ``<server path>``."""
        pairs = [(target, name) for name, target in self.by_name.items() if target != name]
        pairs += [(str(Path(t).parent), n) for t, n in pairs if Path(t).name == "model.onnx"]
        home = foveal_home()
        pairs += [(str(home.resolve()), "$FOVEAL_HOME"), (str(home), "$FOVEAL_HOME")]
        for folder in os.environ.get("FOVEAL_WEIGHTS_PATH", "").split(os.pathsep):
            if folder.strip():
                pairs.append((str(Path(folder).resolve()), "$FOVEAL_WEIGHTS_PATH"))
                pairs.append((folder, "$FOVEAL_WEIGHTS_PATH"))
        for path, label in sorted(pairs, key=lambda p: -len(p[0])):
            if len(path) > 1:
                text = text.replace(path, label)
        return _ABSOLUTE.sub(
            lambda m: m.group(0) if m.group(0).startswith("/v1/") else "<server path>", text
        )


def _file_task(path: str) -> str | None:
    """The task in a model file's foveal metadata (``None``: none, or unreadable here)."""
    from foveal.errors import ModelFileError
    from foveal.runtime.onnx import read_meta

    try:
        meta = read_meta(local_onnx(Path(path)) or path)
    except ModelFileError:
        return None
    return meta.task if meta is not None else None


def _entry(entry: str) -> tuple[str, str]:
    """``(public name, loader value)`` of one ``--models`` entry."""
    path = Path(entry)
    file = local_onnx(path)
    if file is None and not (path.exists() or os.sep in entry):
        try:
            get(entry)
        except UnknownModelError as exc:
            raise ConfigError(f"--models {entry}: {exc}") from None
        return entry, entry
    if file is not None and not file.is_file():
        raise ConfigError(f"--models {entry}: no such model file; check the path")
    if file is None:
        raise ConfigError(
            f"--models {entry}: expected a zoo name, a foveal .onnx file or a run folder holding "
            "model.onnx; 'foveal models list' shows the zoo"
        )
    target = os.path.abspath(path)
    name = path.resolve().name if file.name == "model.onnx" and path.is_dir() else file.stem
    return name, target
