"""Training augmentation presets and the evaluation transform (identical to inference
preprocessing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from foveal.errors import ConfigError
from foveal.zoo import Preprocess

PRESETS = {
    "none": "resize and centre crop only (as at inference)",
    "light": "random resized crop (60-100% of the area) and horizontal flip",
    "standard": "random resized crop (35-100%), horizontal flip, colour jitter 0.2",
    "strong": "random resized crop (25-100%), flip, TrivialAugment, random erasing",
}


def eval_transform(pp: Preprocess) -> Callable[[np.ndarray], Any]:
    """Exactly :func:`foveal.tasks.classify.preprocess` (what the exported model expects)."""
    import torch

    from foveal.tasks.classify import preprocess

    def fn(img: np.ndarray) -> Any:
        return torch.from_numpy(preprocess(img, pp))

    return fn


def train_transform(
    preset: str, pp: Preprocess, *, hflip: bool = True
) -> Callable[[np.ndarray], Any]:
    """The augmentation ``preset`` (see :data:`PRESETS`) ending in the same tensor layout as
    inference."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown augmentation {preset!r}; choose one of {', '.join(PRESETS)}")
    if preset == "none":
        return eval_transform(pp)
    from PIL import Image
    from torchvision import transforms as T

    size = tuple(pp.input_size)
    scale = {"light": (0.6, 1.0), "standard": (0.35, 1.0), "strong": (0.25, 1.0)}[preset]
    interp = {
        "bilinear": T.InterpolationMode.BILINEAR,
        "bicubic": T.InterpolationMode.BICUBIC,
        "nearest": T.InterpolationMode.NEAREST,
        "lanczos": T.InterpolationMode.LANCZOS,
    }[pp.interpolation]
    ops: list[Any] = [T.RandomResizedCrop(size, scale=scale, interpolation=interp)]
    if hflip:
        ops.append(T.RandomHorizontalFlip())
    if preset == "standard":
        ops.append(T.ColorJitter(0.2, 0.2, 0.2))
    if preset == "strong":
        ops.append(T.TrivialAugmentWide(interpolation=interp))
    ops.append(T.PILToTensor())
    pipeline = T.Compose(ops)
    erase = T.RandomErasing(p=0.25) if preset == "strong" else None
    mean = np.asarray(pp.mean, np.float32)
    std = np.asarray(pp.std, np.float32)
    bgr = pp.channel_order == "BGR"

    import torch

    mean_t = torch.from_numpy(mean).view(3, 1, 1)
    std_t = torch.from_numpy(std).view(3, 1, 1)

    def fn(img: np.ndarray) -> Any:
        t = pipeline(Image.fromarray(img)).float()
        if bgr:
            t = t.flip(0)
        t = (t * pp.scale - mean_t) / std_t
        return erase(t) if erase is not None else t

    return fn
