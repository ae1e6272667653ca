"""Shared sub-command groups (``train``, ``eval``, ``data`` ...) that several command modules extend."""

from __future__ import annotations

import argparse

_GROUPS: dict[tuple[int, str], argparse._SubParsersAction] = {}


def group(sub: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    """The sub-parsers of ``foveal NAME``, created on first use and shared by every command module.

    >>> train = group(sub, "train", "train or fine-tune a model")     # doctest: +SKIP
    >>> p = train.add_parser("detect", help="...")                     # doctest: +SKIP
    """
    key = (id(sub), name)
    if key not in _GROUPS:
        parser = sub.add_parser(name, help=help)
        actions = parser.add_subparsers(dest=f"{name}_command", metavar="ACTION")
        actions.required = True
        _GROUPS[key] = actions
    return _GROUPS[key]
