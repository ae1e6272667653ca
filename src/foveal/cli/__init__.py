"""The ``foveal`` command line. Each module in :mod:`foveal.cli.commands` adds its sub-commands.

A command module defines ``register(subparsers)``; it adds parsers whose ``func`` takes the parsed
arguments and returns an exit code. Heavy imports happen inside ``func``, never at module level.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    from foveal import __version__
    from foveal.cli import commands

    parser = argparse.ArgumentParser(
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


def main(argv: Sequence[str] | None = None) -> int:
    from foveal.errors import FovealError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except FovealError as exc:
        print(f"foveal: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("foveal: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
