"""The segment task: a class for every pixel, from a trained U-Net (``foveal train segment``) or
the pretrained MediaPipe selfie (person) model, ``selfie.mediapipe`` (the default).

Images of any size run as overlapping ``tile x tile`` windows (sliding window); the windows'
probabilities are blended with weights that fall off towards the window edges. Only one row of
windows is held at a time, so memory stays bounded on huge images (the class map, one byte a
pixel, is the only full-size array unless ``probabilities=True`` is asked for).

With a U-Net trained on 0/255 masks (``foveal train segment``; classes are named after the mask
values)::

    from foveal.tasks import TASKS
    seg = TASKS["segment"].load(model="runs/segment/1")
    seg("slice.png").areas       # pixels per class: {'class_0': ..., 'class_255': ...}
    seg("slice.png", tta=True)   # average 8 flips and turns per window (SegmentOptions.tta)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from foveal.errors import ConfigError
from foveal.ops import to_tensor
from foveal.ops.tiles import blend_windows
from foveal.results import Segmentation
from foveal.tasks.predictor import NetworkPredictor


@dataclass(frozen=True)
class SegmentOptions:
    """Call options.

    Attributes:
        tile: window side in pixels (rounded up to the network's multiple).
        overlap: pixels shared by neighbouring windows (at most half the tile).
        probabilities: also return the per-class probabilities (K floats per pixel).
        tta: test-time augmentation of trained U-Nets: every window also runs flipped and turned
            by 90 degrees (the 8 symmetries of the square, which ``foveal train segment`` trains
            with) and the probabilities are averaged, at 8 times the cost. Whole-image networks
            (the selfie model) always run once. Off by default: on the membrane slices it moved
            pixel error by 0.0006 for 8 times the time (docs/segmentation.md).
    """

    tile: int = 512
    overlap: int = 64
    probabilities: bool = False
    tta: bool = False


@dataclass(frozen=True)
class SegmentParams:
    """What a segmentation model's metadata says about it."""

    mask_values: tuple[int, ...] = ()
    multiple: int = 32
    fixed_size: tuple[int, int] | None = None  # a network with one input size (e.g. selfie)
    output: str = "softmax"  # "softmax": (K, h, w) probabilities; "sigmoid": (1, h, w) foreground
    palette: tuple[int, ...] | None = None  # palette PNG masks in training: their colours


def dihedral() -> list[tuple[bool, int]]:
    """The 8 symmetries of the square as ``(mirror left-right first, then quarter turns)``.

    >>> len(set(dihedral()))
    8
    """
    return [(flip, turns) for flip in (False, True) for turns in range(4)]


class SegmentPredictor(NetworkPredictor[Segmentation]):
    """Semantic segmentation with sliding-window inference (see the module docstring)."""

    task = "segment"
    default_model = "selfie.mediapipe"
    Options = SegmentOptions
    batch_size = 1

    @staticmethod
    def export(spec: Any, out: Any, weights_path: Any) -> None:
        """Zoo entries whose weights are not ONNX (the selfie ``.tflite``) -> ONNX."""
        from foveal.tasks.segment.export import export_selfie

        export_selfie(spec, out, weights_path)

    def __init__(self, model: Any = None, **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        self.params = self.meta.params_as(SegmentParams)

    def check_options(self, options: SegmentOptions) -> SegmentOptions:
        if options.tile < 32:
            raise ConfigError(f"tile must be at least 32 pixels, got {options.tile}")
        if not 0 <= options.overlap <= options.tile // 2:
            raise ConfigError(
                f"overlap must be within 0..tile/2 ({options.tile // 2}), got {options.overlap}"
            )
        return options

    # NetworkPredictor's per-image hooks: the image stays uint8 until its windows are cut
    def preprocess(self, image: np.ndarray) -> tuple[np.ndarray, Any]:
        return image, None

    def postprocess(self, outputs: list[np.ndarray], context: Any, options: Any) -> Segmentation:
        """The stitched outputs of one whole image, ``[class_map]`` or ``[class_map,
        probabilities]`` (what :meth:`segment` builds from its windows), as a result."""
        return Segmentation(
            outputs[0],
            list(self.labels),
            outputs[1] if len(outputs) > 1 else None,
            mask_values=self.params.mask_values or tuple(range(len(self.labels))),
            model=self.name,
            palette=tuple(self.params.palette) if self.params.palette else None,
        )

    def prepare(self, image: np.ndarray) -> np.ndarray:
        return image

    def run(self, prepared: list[np.ndarray], options: SegmentOptions) -> list[Segmentation]:
        return [self.segment(image, options) for image in prepared]

    # -- the work -------------------------------------------------------------------------------
    def normalise(self, rgb: np.ndarray) -> np.ndarray:
        pre = self.meta.preprocess
        std = np.asarray(pre.std, np.float32)
        gain = np.float32(pre.scale) / std
        return to_tensor(rgb, gain=gain, offset=-np.asarray(pre.mean, np.float32) / std)

    def probabilities(self, window: np.ndarray, tta: bool = False) -> np.ndarray:
        """``(K, h, w)`` class probabilities of one RGB window (any size); with ``tta`` (not for
        fixed-size networks) the mean over the window's 8 flips and 90-degree turns."""
        if tta and self.params.fixed_size is None:
            total = np.zeros((len(self.labels), *window.shape[:2]), np.float32)
            for flip, turns in dihedral():
                view = np.rot90(window[:, ::-1] if flip else window, turns)
                out = np.rot90(self.probabilities(np.ascontiguousarray(view)), -turns, (1, 2))
                total += out[:, :, ::-1] if flip else out
            return total / 8.0
        import cv2

        h, w = window.shape[:2]
        p = self.params
        if p.fixed_size is not None:
            fh, fw = p.fixed_size
            resized = cv2.resize(window, (fw, fh), interpolation=cv2.INTER_AREA)
            out = self.forward(self.normalise(resized)[None])[0][0]
            out = np.stack([cv2.resize(c, (w, h), interpolation=cv2.INTER_LINEAR) for c in out])
        else:
            m = p.multiple
            padded = cv2.copyMakeBorder(window, 0, -h % m, 0, -w % m, cv2.BORDER_REFLECT_101)
            out = self.forward(self.normalise(padded)[None])[0][0][:, :h, :w]
        if p.output == "sigmoid":
            fg = np.clip(out[0], 0.0, 1.0)
            out = np.stack((1.0 - fg, fg))
        return out.astype(np.float32, copy=False)

    def segment(self, image: np.ndarray, options: SegmentOptions) -> Segmentation:
        h, w = image.shape[:2]
        tile = options.tile
        if self.params.fixed_size is None:
            tile = -(-tile // self.params.multiple) * self.params.multiple
        th, tw = min(tile, h), min(tile, w)
        if self.params.fixed_size is not None:  # a whole-image network (selfie): one window
            th, tw = h, w
        class_map = np.zeros((h, w), np.uint8)
        probs = np.zeros((len(self.labels), h, w), np.float32) if options.probabilities else None

        def emit(top: int, bottom: int, blended: np.ndarray) -> None:
            class_map[top:bottom] = blended.argmax(0).astype(np.uint8)
            if probs is not None:
                probs[:, top:bottom] = blended

        blend_windows(
            lambda y, x: self.probabilities(image[y : y + th, x : x + tw], options.tta),
            (h, w),
            (th, tw),
            overlap=options.overlap,
            channels=len(self.labels),
            emit=emit,
        )
        return self.postprocess([class_map] if probs is None else [class_map, probs], None, options)
