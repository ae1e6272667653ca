"""The restore task: a restoration network applied tile by tile, with bounded memory.

>>> import foveal
>>> r = foveal.restore("coffee.png")
>>> r.image.shape, r.image.dtype
((400, 600, 3), dtype('uint8'))
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import ConfigError
from foveal.ops.tiles import tiled_apply
from foveal.results import Restoration
from foveal.tasks.predictor import NetworkPredictor

MULTIPLE = 8
"""Network input sides are padded to a multiple of this (the U-Net's total stride)."""

DEFAULT_MODEL = "restore_unet.gaussian"
SHIPPED_FILE = "restore_unet_gaussian.onnx"


def shipped_model() -> Path:
    """The default restoration model, shipped inside the foveal package."""
    return Path(str(resources.files("foveal.zoo") / "files" / SHIPPED_FILE))


@dataclass(frozen=True)
class RestoreParams:
    """Model facts stored in its metadata: colour (3) or grey (1) input."""

    channels: int = 3


@dataclass(frozen=True)
class RestoreOptions:
    """Call options: images larger than ``tile`` pixels on a side run in tiles that overlap by
    ``overlap`` pixels (only the tile centres are kept, so seams do not show:
    :func:`foveal.ops.tiles.tiled_apply`)."""

    tile: int = 512
    overlap: int = 32


def pad_to_multiple(x: np.ndarray, multiple: int = MULTIPLE) -> np.ndarray:
    """``(C, H, W)`` padded at the bottom and right (mirrored) to sides that are multiples."""
    h, w = x.shape[1:]
    ph, pw = (-h) % multiple, (-w) % multiple
    return np.pad(x, ((0, 0), (0, ph), (0, pw)), mode="symmetric") if ph or pw else x


class RestorePredictor(NetworkPredictor[Restoration]):
    """Restore images (default: foveal's shipped colour Gaussian denoiser, sigma 10-40).

    Args:
        model: ``None`` for the shipped model, a ``.onnx`` file or a ``foveal train restore``
            run folder.
    """

    task = "restore"
    default_model = DEFAULT_MODEL
    Options = RestoreOptions
    batch_size = 1

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        *,
        backend: str = "onnx",
        weights: str | os.PathLike | None = None,
        threads: int | None = None,
    ) -> None:
        if (model is None or str(model) == DEFAULT_MODEL) and weights is None:
            model, weights = DEFAULT_MODEL, shipped_model()
        super().__init__(model, backend=backend, weights=weights, threads=threads)
        self.channels = self.meta.params_as(RestoreParams).channels

    def check_options(self, options: RestoreOptions) -> RestoreOptions:
        if options.tile < 64 or options.tile % MULTIPLE:
            raise ConfigError(
                f"tile is {options.tile}; expected a multiple of {MULTIPLE} of at least 64 "
                "(e.g. 512)"
            )
        if options.overlap < 0 or 2 * options.overlap >= options.tile:
            raise ConfigError(
                f"overlap is {options.overlap}; expected 0 <= overlap < tile/2 "
                f"({options.tile // 2})"
            )
        return options

    def preprocess(self, image: np.ndarray) -> tuple[np.ndarray, Any]:
        if self.channels == 1:
            grey = image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
            return grey[None] / 255.0, None
        return image.transpose(2, 0, 1).astype(np.float32) / 255.0, None

    def postprocess(self, outputs: list[np.ndarray], context: Any, options: Any) -> Restoration:
        return self.to_result(outputs[0], context)

    def to_result(self, restored: np.ndarray, noisy: np.ndarray | None) -> Restoration:
        out = np.clip(restored * 255.0 + 0.5, 0, 255).astype(np.uint8)
        change = 0.0
        if noisy is not None:
            change = float(np.abs(np.clip(restored, 0, 1) - np.clip(noisy, 0, 1)).mean() * 255)
        image = out[0] if self.channels == 1 else out.transpose(1, 2, 0)
        return Restoration(np.ascontiguousarray(image), model=self.name, change=change)

    def restore_array(self, x: np.ndarray, options: RestoreOptions | None = None) -> np.ndarray:
        """Float ``(C, H, W)`` in [0, 1] (values outside are fine) -> restored, same shape."""
        opts = options if options is not None else self.options()

        def restored(window: np.ndarray) -> np.ndarray:
            h, w = window.shape[1:]
            return self.forward(pad_to_multiple(window)[None])[0][0][:, :h, :w]

        return tiled_apply(restored, x, opts.tile, opts.overlap)

    def run(self, prepared: list[tuple[np.ndarray, Any]], options: Any) -> list[Restoration]:
        return [self.to_result(self.restore_array(x, options), x) for x, _ in prepared]
