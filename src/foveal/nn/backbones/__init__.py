"""Backbone registry: ``@register_backbone`` builders with keyword-only arguments."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from foveal.errors import UnknownModelError

_BUILDERS: dict[str, str] = {
    "mobilenet_v2": "foveal.nn.backbones.mobilenetv2:mobilenet_v2",
    "efficientnet_lite0": "foveal.nn.backbones.efficientnet_lite:efficientnet_lite0",
    "cspdarknet": "foveal.nn.backbones.cspdarknet:cspdarknet",
}
_EXTRA: dict[str, Callable[..., Any]] = {}


def register_backbone(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: make ``fn`` available to :func:`create_backbone` under its own name."""
    _EXTRA[fn.__name__] = fn
    return fn


def list_backbones() -> list[str]:
    return sorted(set(_BUILDERS) | set(_EXTRA))


def create_backbone(name: str, **kwargs: Any) -> Any:
    """Build a backbone by name (no weights; see :func:`foveal.zoo.load.load_model`)."""
    if name in _EXTRA:
        return _EXTRA[name](**kwargs)
    if name not in _BUILDERS:
        raise UnknownModelError(
            f"no backbone named {name!r}; available: {', '.join(list_backbones())}"
        )
    module, _, attr = _BUILDERS[name].partition(":")
    return getattr(importlib.import_module(module), attr)(**kwargs)
