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

    def network_input(self, rgb: np.ndarray) -> np.ndarray:
        """RGB uint8 ``(3, h, w)`` (a window, or a whole image) -> the network's float ``(C, h,
        w)`` in [0, 1]: grey models see the luma."""
        x = rgb.astype(np.float32) / 255.0
        if self.channels == 1:
            return np.tensordot(np.array([0.299, 0.587, 0.114], np.float32), x, axes=1)[None]
        return x

    def preprocess(self, image: np.ndarray) -> tuple[np.ndarray, Any]:
        # the image stays uint8 until its tiles are cut: memory is the image, the output and
        # one tile, whatever the size (a 3072 x 4096 photo: 0.41 GB peak for the whole
        # process, 0.92 GB with float32 copies; docs/restoration.md)
        return image.transpose(2, 0, 1), None

    def postprocess(self, outputs: list[np.ndarray], context: Any, options: Any) -> Restoration:
        """One network output ``(C, H, W)`` float as a result (:meth:`run` does not come here:
        it restores tile by tile, :meth:`restore_image`)."""
        out = np.clip(outputs[0] * 255.0 + 0.5, 0, 255).astype(np.uint8)
        image = out[0] if self.channels == 1 else out.transpose(1, 2, 0)
        return Restoration(np.ascontiguousarray(image), model=self.name)

    def restore_array(self, x: np.ndarray, options: RestoreOptions | None = None) -> np.ndarray:
        """Float ``(C, H, W)`` in [0, 1] (values outside are fine) -> restored, same shape."""
        opts = options if options is not None else self.options()
        return tiled_apply(self._network, x, opts.tile, opts.overlap)

    def _network(self, x: np.ndarray) -> np.ndarray:
        h, w = x.shape[1:]
        return self.forward(pad_to_multiple(x)[None])[0][0][:, :h, :w]

    def restore_image(self, rgb: np.ndarray, options: RestoreOptions) -> Restoration:
        """A uint8 ``(3, H, W)`` image restored tile by tile, each tile rounded to uint8 as it
        comes; ``change``: the mean absolute change, 0-255, over every pixel and channel."""

        def restored(window: np.ndarray) -> np.ndarray:
            y = self._network(self.network_input(window))
            return np.clip(y * 255.0 + 0.5, 0, 255).astype(np.uint8)

        out = tiled_apply(restored, rgb, options.tile, options.overlap)
        total = 0.0
        for r0 in range(0, out.shape[1], 256):  # bands: no full-size float copy
            band = np.clip(self.network_input(rgb[:, r0 : r0 + 256]), 0, 1) * 255.0
            total += float(np.abs(out[:, r0 : r0 + 256].astype(np.float32) - band).sum())
        image = out[0] if self.channels == 1 else out.transpose(1, 2, 0)
        return Restoration(
            np.ascontiguousarray(image), model=self.name, change=total / max(out.size, 1)
        )

    def run(self, prepared: list[tuple[np.ndarray, Any]], options: Any) -> list[Restoration]:
        return [self.restore_image(x, options) for x, _ in prepared]
