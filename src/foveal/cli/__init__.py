"""The ``foveal`` command line. Each module in :mod:`foveal.cli.commands` adds its sub-commands.

A command module defines ``register(subparsers)``; it adds parsers whose ``func`` takes the parsed
arguments and returns an exit code. Heavy imports happen inside ``func``, never at module level.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from typing import Any

PARSER_KEY = "foveal_parser"
"""The namespace attribute naming the innermost parser that read the command line."""


class Parser(argparse.ArgumentParser):
    """An argument parser that takes no abbreviated options (``--top`` is not ``--top-k``) and
    records itself in the namespace, so a usage error shows the sub-command's usage.

    Sub-parsers are made by ``add_subparsers().add_parser`` with the parent's class, so every
    parser of the command line is one of these.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)
        self.set_defaults(**{PARSER_KEY: self})


def build_parser() -> Parser:
    from foveal import __version__
    from foveal.cli import commands

    parser = Parser(
        prog="foveal",
        description=(
            "Deep learning for computer vision: classify, detect, faces, OCR — offline, on a CPU."
        ),
    )
    parser.add_argument("--version", action="version", version=f"foveal {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; an unknown option is reported with the usage of the sub-command it was
    given to (argparse itself would show the top-level usage)."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        owner = getattr(args, PARSER_KEY, parser)
        owner.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def one_line_warning(message: Any, category: Any, *args: Any, **kwargs: Any) -> str:
    """Warnings on the command line: one line, without Python's file and source line.

    >>> one_line_warning("page 1 rendered at 50 dpi", UserWarning, "x.py", 1)
    'foveal: warning: page 1 rendered at 50 dpi\\n'
    """
    return f"foveal: warning: {message}\n"


EXTRAS = {
    "torch": "train",
    "torchvision": "train",
    "safetensors": "train",
    "fastapi": "serve",
    "uvicorn": "serve",
    "ray": "scale",
    "pyarrow": "scale",
    "sklearn": "features",
    "faiss": "features",
    "skimage": "features",
    "pycocotools": "detect",
    "dlib": "faces",
    "scipy": "faces",
    "rapidocr": "ocr",
    "shapely": "ocr",
    "lap": "track",
    "motmetrics": "track",
    "ai_edge_litert": "landmarks",
    "tflite2onnx": "landmarks",
    "tflite": "landmarks",
}
"""The extra (``pip install 'foveal[EXTRA]'``) that installs a module only some commands import."""


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """The one-line error for a module of an extra that is not installed (``None``: another one).

    >>> missing_extra(ModuleNotFoundError("No module named 'torch'", name="torch"))
    "this command needs torch, which is not installed here; pip install 'foveal[train]'"
    >>> missing_extra(ModuleNotFoundError("No module named 'x'", name="x")) is None
    True
    """
    top = (exc.name or "").split(".")[0]
    if top not in EXTRAS:
        return None
    fix = f"pip install 'foveal[{EXTRAS[top]}]'"
    return f"this command needs {top}, which is not installed here; {fix}"


def main(argv: Sequence[str] | None = None) -> int:
    import warnings

    from foveal.errors import FovealError

    parser = build_parser()
    args = parse(parser, argv)
    previous = warnings.formatwarning
    warnings.formatwarning = one_line_warning
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not in the flush at interpreter exit
        return status
    except FovealError as exc:
        print(f"foveal: error: {exc}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2))
    except ModuleNotFoundError as exc:
        line = missing_extra(exc)
        if line is None:
            raise
        print(f"foveal: error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("foveal: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return closed_stdout()
    finally:
        warnings.formatwarning = previous


def closed_stdout() -> int:
    """The reader of stdout went away (``foveal classify d/ --json | head -1``): stop quietly.

    As Python's documentation of SIGPIPE recommends, stdout is pointed at ``os.devnull`` so the
    flush at interpreter exit does not raise again. Exit status 141 (128 + SIGPIPE), like a
    command killed by the signal.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout without a descriptor (tests)
        pass
    return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
