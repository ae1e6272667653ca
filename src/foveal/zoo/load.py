"""Load pretrained PyTorch networks from the zoo (safely: ``torch.load(weights_only=True)``)."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Any

from foveal.errors import FovealError, ModelFileError, WeightsNotFoundError
from foveal.zoo.registry import ModelSpec, get
from foveal.zoo.resolve import resolve_weights


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message (terminal colour codes removed), or its
    type's name: libraries' multi-line advice stays out of foveal's one-line errors.

    >>> first_line(RuntimeError("\\x1b[1mbad header\\x1b[0m\\n\\tTry this, or that"))
    'bad header'
    >>> first_line(KeyError())
    'KeyError'
    """
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def torch_load_reason(exc: BaseException) -> str:
    """Why ``torch.load(weights_only=True)`` refused a file, in one short sentence, without torch's
    advice to retry with ``weights_only=False``.

    >>> torch_load_reason(RuntimeError(
    ...     "Weights only load failed. Re-running with weights_only=False will likely succeed.\\n"
    ...     "\\tWeightsUnpickler error: Unsupported global: GLOBAL print was not an allowed "
    ...     "global by default. Please use add_safe_globals([print])"))
    'Unsupported global: GLOBAL print was not an allowed global by default'
    """
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    if "WeightsUnpickler error:" in text:
        text = text.split("WeightsUnpickler error:", 1)[1]
    line = first_line(RuntimeError(text)) if text.strip() else type(exc).__name__
    return line.split(". ", 1)[0].rstrip(".")


def load_state_dict(path: str | os.PathLike) -> dict[str, Any]:
    """Read a state dict without unpickling arbitrary objects (``.pth``/``.pt`` or
    ``.safetensors``).

    Raises:
        WeightsNotFoundError: no such file.
        ModelFileError: the file is not a state dict (corrupt, truncated, pickled objects); the
            one-line message names the file.
    """
    p = Path(path)
    if not p.is_file():
        raise WeightsNotFoundError(f"weights file {p} does not exist")
    if p.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            return load_file(str(p))
        except Exception as exc:  # noqa: BLE001 - SafetensorError, OSError
            raise ModelFileError(
                f"{p} is not a readable .safetensors file ({first_line(exc)}); give the weights "
                "file as written by safetensors"
            ) from exc
    import torch

    try:
        with warnings.catch_warnings():  # torch warns about the pickle protocol of foreign files
            warnings.simplefilter("ignore")
            obj = torch.load(str(p), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - pickle errors of every kind
        raise ModelFileError(
            f"{p} is not a plain PyTorch state dict (refused to unpickle arbitrary objects: "
            f"{torch_load_reason(exc)}); give a state dict saved by "
            "torch.save(model.state_dict())"
        ) from exc
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise ModelFileError(f"{p} holds a {type(obj).__name__}, expected a state dict")
    return obj


def load_model(
    name: str | ModelSpec,
    *,
    weights: str | os.PathLike | None = None,
    pretrained: bool = True,
    **kwargs: Any,
) -> Any:
    """Build the network of a zoo entry and load its weights strictly.

    >>> import torch
    >>> net = load_model("mobilenet_v2.imagenet")
    >>> net(torch.zeros(1, 3, 224, 224)).shape  # ImageNet's 1000 classes
    torch.Size([1, 1000])
    """
    spec = get(name) if isinstance(name, str) else name
    net = spec.build(**kwargs)
    if pretrained and spec.extra.get("load_weights"):
        # weights that are not a state dict (e.g. an ONNX file): the entry names its own loader(net,
        # path)
        from foveal.zoo.registry import load_callable

        return load_callable(spec.extra["load_weights"])(net, resolve_weights(spec, weights)).eval()
    if pretrained:
        sd = load_state_dict(resolve_weights(spec, weights))
        convert = spec.extra.get("convert_state_dict")
        if convert:
            from foveal.zoo.registry import load_callable

            sd = load_callable(convert)(sd)
        head = ("classifier.", "_fc.", "head.fc.")
        if "num_classes" in kwargs:
            # a new head for another number of classes: keep the backbone, leave the head freshly
            # initialised
            own = net.state_dict()
            sd = {
                k: v
                for k, v in sd.items()
                if not (k.startswith(head) and (k not in own or own[k].shape != v.shape))
            }
        missing, unexpected = net.load_state_dict(sd, strict=False)
        head_only = all(k.startswith(head) for k in missing + unexpected)
        if (missing or unexpected) and not (head_only and "num_classes" in kwargs):
            raise FovealError(
                f"weights for {spec.name} do not fit the network: missing {missing[:5]}, "
                f"unexpected {unexpected[:5]}"
            )
    return net.eval()
