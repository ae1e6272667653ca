"""Atomic checkpoints with an architecture fingerprint, so a wrong checkpoint fails clearly."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import torch

from foveal.errors import FovealError
from foveal.utils.files import atomic_path
from foveal.zoo.load import torch_load_reason

FORMAT = "foveal-train-checkpoint/1"


class CheckpointError(FovealError):
    """A checkpoint is missing, unreadable, or does not fit the network being trained."""


def fingerprint(model: torch.nn.Module, arch: str | None = None) -> dict[str, Any]:
    """What a checkpoint must match: the architecture name and every tensor's shape."""
    return {
        "arch": arch or type(model).__name__,
        "shapes": {k: list(v.shape) for k, v in model.state_dict().items()},
    }


def save_atomic(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save`` to a temporary file in the same folder, fsync, then rename over ``path``."""
    with atomic_path(path, fsync=True) as tmp:
        torch.save(obj, tmp)
    return Path(path)


def load(path: str | os.PathLike) -> dict[str, Any]:
    """Read a foveal training checkpoint (a run folder means its ``checkpoints/best.pt``)."""
    p = Path(path)
    if p.is_dir():
        cand = [
            p / "checkpoints" / "best.pt",
            p / "checkpoints" / "last.pt",
            p / "best.pt",
            p / "last.pt",
        ]
        found = next((c for c in cand if c.is_file()), None)
        if found is None:
            raise CheckpointError(
                f"{p} is a folder without checkpoints/best.pt or checkpoints/last.pt; "
                "pass a training run folder or a .pt checkpoint"
            )
        p = found
    if not p.is_file():
        raise CheckpointError(f"checkpoint {p} does not exist")
    try:
        # Our checkpoints hold tensors, numbers, strings, lists and dicts only: no arbitrary
        # unpickling.
        with warnings.catch_warnings():  # torch warns about the pickle protocol of foreign files
            warnings.simplefilter("ignore")
            ckpt = torch.load(str(p), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - pickle/zip errors of every kind
        raise CheckpointError(
            f"{p} could not be read as a checkpoint ({torch_load_reason(exc)}); it may be "
            "truncated, or not a foveal checkpoint"
        ) from exc
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(
            f"{p} is not a foveal training checkpoint (expected format {FORMAT!r}); "
            "for plain PyTorch weights use the zoo's weights= option"
        )
    ckpt["path"] = str(p)
    return ckpt


def check_compatible(
    ckpt: dict[str, Any], expected: dict[str, Any], *, what: str = "this run"
) -> None:
    """Raise :class:`CheckpointError` unless the checkpoint's fingerprint matches ``expected``."""
    got = ckpt.get("fingerprint", {})
    src = ckpt.get("path", "the checkpoint")
    if got.get("arch") != expected["arch"]:
        raise CheckpointError(
            f"{src} was trained with architecture {got.get('arch')!r}, but {what} builds "
            f"{expected['arch']!r}; pass the same --model as the checkpoint's run, or start from "
            "another checkpoint"
        )
    a, b = got.get("shapes", {}), expected["shapes"]
    missing = sorted(set(b) - set(a))
    extra = sorted(set(a) - set(b))
    wrong = sorted(k for k in set(a) & set(b) if list(a[k]) != list(b[k]))
    if missing or extra or wrong:
        parts = []
        if wrong:
            k = wrong[0]
            parts.append(
                f"{len(wrong)} tensor(s) differ in shape (e.g. {k}: {a[k]} in the checkpoint, "
                f"{b[k]} here)"
            )
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {missing[0]})")
        if extra:
            parts.append(f"{len(extra)} unexpected (e.g. {extra[0]})")
        raise CheckpointError(
            f"{src} does not fit the network of {what}: "
            + "; ".join(parts)
            + ". Was it trained with another number of classes or model variant?"
        )
