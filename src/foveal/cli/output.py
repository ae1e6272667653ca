"""Shared helpers for commands: JSON lines, progress bars, runtime options, bad-input reports,
output checks.

Outputs are checked before any work starts, so a run that cannot write its results fails in a
second with one line instead of after the last image:

>>> check_writable_dir("cat.jpg/annotated", option="--save")
Traceback (most recent call last):
...
foveal.errors.ConfigError: --save cat.jpg/annotated: cat.jpg is a file, not a folder; choose \
another place for the output
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from foveal.errors import ConfigError, FovealError
from foveal.utils.term import stderr_is_terminal


class NoInputsError(FovealError):
    """The inputs name no image at all (an empty folder): nothing was done, exit status 1."""

    exit_code = 1


def progress(
    iterable: Any, *, total: int | None, desc: str, enabled: bool = True, unit: str = "img"
) -> Any:
    """A tqdm progress bar on stderr, shown only when ``enabled`` and stderr is a terminal (a
    pass-through iterator otherwise, so redirected output holds no bar).

    >>> list(progress(iter([1, 2]), total=2, desc="test"))  # stderr is not a terminal here
    [1, 2]
    """
    from tqdm import tqdm

    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        disable=not (enabled and stderr_is_terminal()),
        dynamic_ncols=True,
    )


def thread_count(text: str) -> int | str:
    """``--threads``: a whole number >= 1, or ``auto`` (the automatic plan, also over a
    ``FOVEAL_THREADS`` that is set).

    >>> thread_count("2"), thread_count("AUTO")
    (2, 'auto')
    """
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int(text)  # below 1: one line from use_runtime_options
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number >= 1 or 'auto', got {text!r}"
        ) from None


def add_runtime_options(p: argparse.ArgumentParser) -> None:
    """``--threads N``, ``--spin 0|1|auto`` and ``--device cpu|cuda|auto`` of every inference
    command."""
    p.add_argument(
        "--threads",
        type=thread_count,
        metavar="N",
        help="ONNX Runtime threads per network, or auto (default: $FOVEAL_THREADS, else auto: "
        "the CPUs the machine's load leaves free)",
    )
    p.add_argument(
        "--spin",
        choices=("0", "1", "auto"),
        help="whether idle ONNX Runtime threads spin: 1 for the lowest latency on an idle machine, "
        "0 on a busy one (default: $FOVEAL_SPIN, else auto: on when every thread has a free CPU)",
    )
    p.add_argument(
        "--device",
        choices=("cpu", "cuda", "auto"),
        help="where networks run: cpu, cuda (ONNX Runtime's CUDA provider) or auto (cuda when "
        "available, else cpu); default $FOVEAL_DEVICE, else cpu",
    )


def add_precision_options(
    p: argparse.ArgumentParser, calibrate_default: str = "scikit-image's sample photos"
) -> None:
    """``--precision fp32|int8`` and ``--calibrate DIR`` of the commands that offer int8
    (``calibrate_default``: what the help says int8 calibrates on without ``--calibrate``)."""
    p.add_argument(
        "--precision",
        choices=("fp32", "int8"),
        default="fp32",
        help="int8: static QDQ quantisation, made once and cached under $FOVEAL_HOME/int8 "
        "(default fp32)",
    )
    p.add_argument(
        "--calibrate",
        metavar="DIR",
        help=f"images int8 calibrates on, like the ones it will see (default: {calibrate_default})",
    )


def use_runtime_options(args: argparse.Namespace) -> None:
    """Check ``--threads``/``--spin``/``--device`` and make them this process's defaults
    (``FOVEAL_THREADS``/``FOVEAL_SPIN``/``FOVEAL_DEVICE``), so every network the command opens
    uses them.

    Raises:
        ConfigError: ``--threads`` below 1, a bad ``FOVEAL_THREADS`` or ``FOVEAL_SPIN``, or
            ``--device cuda`` where ONNX Runtime has no CUDA.
    """
    from foveal.runtime.onnx import providers_for
    from foveal.runtime.threads import env_threads, parse_spin

    threads = getattr(args, "threads", None)
    device = getattr(args, "device", None)
    spin = getattr(args, "spin", None)
    if threads is not None:
        if threads != "auto" and threads < 1:
            raise ConfigError(f"--threads must be at least 1, got {threads}")
        os.environ["FOVEAL_THREADS"] = str(threads)
        if threads == "auto":
            args.threads = None  # the predictors then plan from the load, as without --threads
    env_threads()  # a bad FOVEAL_THREADS is one clear line before any model loads
    if spin is not None:
        os.environ["FOVEAL_SPIN"] = spin
    parse_spin(os.environ.get("FOVEAL_SPIN"))
    if device is not None:
        if device == "cuda" and getattr(args, "backend", "onnx") == "torch":
            raise ConfigError(
                "--device cuda runs networks with ONNX Runtime; drop --backend torch or use "
                "--device cpu"
            )
        providers_for(device)  # says in one line when CUDA is not in this ONNX Runtime
        os.environ["FOVEAL_DEVICE"] = device


def write_jsonl(record: dict[str, Any], out: TextIO | None = None) -> None:
    """One JSON object per line on ``out`` (default: the current ``sys.stdout``, looked up at call
    time)."""
    out = sys.stdout if out is None else out
    out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()


def skip_line(source: str, error: str) -> str:
    """The line that reports a skipped input; the file is named once, even when the error names it.

    >>> skip_line("d/x.jpg", "d/x.jpg is corrupt or truncated")
    'skipped d/x.jpg is corrupt or truncated'
    >>> skip_line("d/x.jpg", "d/x.jpg: permission denied")
    'skipped d/x.jpg: permission denied'
    >>> skip_line("d/x.jpg", "not an image")
    'skipped d/x.jpg: not an image'
    """
    if error.startswith(source) and error[len(source) : len(source) + 1] in (" ", ":"):
        return f"skipped {error}"
    return f"skipped {source}: {error}"


def report_bad(report: Any, *, as_json: bool) -> None:
    """Print the skipped inputs to stderr (one JSON line each with ``--json``)."""
    for bad in report.bad:
        if as_json:
            print(json.dumps({"skipped": bad.source, "error": bad.error}), file=sys.stderr)
        else:
            print(skip_line(bad.source, bad.error), file=sys.stderr)


def require_inputs(found: Sequence[object], inputs: Sequence[str], what: str = "images") -> None:
    """Raise :class:`NoInputsError` when the inputs (folders, globs) gave no file at all."""
    if not found:
        where = ", ".join(os.fspath(i) for i in inputs)
        raise NoInputsError(
            f"no {what} in {where}; give image files, or folders that hold some "
            "(.jpg, .png, .webp, ...)"
        )


def _writable_parent(start: Path, path: Path, option: str) -> None:
    """The nearest existing folder at or above ``start`` must be a folder this process may create
    files in (``path``, the output as given, is named in the error)."""
    here = start
    while not os.path.lexists(here):
        if here.parent == here:
            break
        here = here.parent
    shown = os.fspath(here) or "."
    if not here.is_dir():
        what = "a broken link" if here.is_symlink() and not here.exists() else "a file"
        raise ConfigError(
            f"{option} {path}: {shown} is {what}, not a folder; choose another place for the output"
        )
    if not os.access(here, os.W_OK | os.X_OK):
        raise ConfigError(
            f"{option} {path}: the folder {shown} is not writable (permission denied or a "
            "read-only file system); choose a folder you can write to"
        )


def check_writable_dir(path: str | os.PathLike, *, option: str) -> Path:
    """``path`` as an output folder that exists and is writable or can be created; creates
    nothing.

    Raises:
        ConfigError: ``path`` or a folder above it is a file, or the nearest existing folder is
            not writable.
    """
    p = Path(path)
    _writable_parent(p, p, option)
    return p


def check_writable_file(path: str | os.PathLike, *, option: str) -> Path:
    """``path`` as an output file that can be written (created or replaced); creates nothing.

    Raises:
        ConfigError: ``path`` is a folder, or its folder cannot be created or written (files are
            written next to their destination and renamed over it, so the folder is what counts).
    """
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"{option} {p} is a folder; give the name of the file to write")
    if os.fspath(path).endswith(("/", os.sep)):
        raise ConfigError(f"{option} {os.fspath(path)} ends with '/'; give a file name")
    _writable_parent(p.parent, p, option)
    return p
