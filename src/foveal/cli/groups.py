"""Shared sub-command groups (``train``, ``eval``, ``data`` ...) that several command modules
extend."""

from __future__ import annotations

import argparse

_ATTR = "_foveal_groups"


def group(sub: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    """The sub-parsers of ``foveal NAME``, created on first use and shared by every command module.

    The groups are remembered on ``sub`` itself (not by ``id(sub)``: a parser built later can get
    the id of a freed one, and would then be handed that old parser's groups).

    >>> import argparse
    >>> sub = argparse.ArgumentParser(prog="foveal").add_subparsers()
    >>> train = group(sub, "train", "train or fine-tune a model")
    >>> p = train.add_parser("detect", help="...")
    >>> group(sub, "train", "the second call returns the same group") is train
    True
    """
    groups: dict[str, argparse._SubParsersAction] = sub.__dict__.setdefault(_ATTR, {})
    if name not in groups:
        parser = sub.add_parser(name, help=help)
        actions = parser.add_subparsers(dest=f"{name}_command", metavar="ACTION")
        actions.required = True
        groups[name] = actions
    return groups[name]
