"""Large images through a network window by window, with bounded memory: two ways.

* :func:`tiled_apply` keeps only each tile's centre: every kept pixel saw ``overlap`` pixels of
  context on every side, so a network whose receptive field fits in that margin gives exactly its
  whole-image output (restoration: the restore U-Net at the default overlap of 32).
* :func:`blend_windows` blends overlapping windows' outputs with weights that fall off towards the
  window edges, one band of rows at a time (segmentation: encoders whose receptive field is larger
  than any margin, where a hard cut would show as a seam).

>>> import numpy as np
>>> image = np.random.default_rng(0).random((1, 70, 50), dtype=np.float32)
>>> bool(np.allclose(tiled_apply(lambda win: 2 * win, image, tile=32, overlap=8), 2 * image))
True
>>> out = np.empty_like(image)
>>> def write(top, bottom, band):
...     out[:, top:bottom] = band
>>> blend_windows(lambda y, x: 2 * image[:, y : y + 32, x : x + 32], (70, 50), (32, 32),
...               overlap=8, channels=1, emit=write)
>>> bool(np.allclose(out, 2 * image))
True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def window_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of windows of ``tile`` that cover ``0..length`` with at least ``overlap``.

    >>> window_starts(1000, 512, 64), window_starts(300, 512, 64)
    ([0, 244, 488], [0])
    """
    if length <= tile:
        return [0]
    step = tile - overlap
    n = int(np.ceil((length - tile) / step)) + 1
    return sorted({int(round(v)) for v in np.linspace(0, length - tile, n)})


def blend_weights(h: int, w: int, overlap: int) -> np.ndarray:
    """``(h, w)`` float32 weights: 1 inside, ramping down to a small value over ``overlap``
    pixels at the edges (so neighbouring windows hand over smoothly).

    >>> w = blend_weights(64, 64, 16)
    >>> float(w[32, 32]), bool(w[0, 0] < 0.01)
    (1.0, True)
    """
    ramp = max(overlap, 1)

    def axis(n: int) -> np.ndarray:
        d = np.minimum(np.arange(n), np.arange(n)[::-1]) + 1.0
        return np.clip(d / ramp, 0.05, 1.0).astype(np.float32)

    return axis(h)[:, None] * axis(w)[None, :]


def blend_windows(
    window_output: Callable[[int, int], np.ndarray],
    size: tuple[int, int],
    window: tuple[int, int],
    *,
    overlap: int,
    channels: int,
    emit: Callable[[int, int, np.ndarray], None],
) -> None:
    """Cover an image of ``size`` (H, W) with windows of ``window`` (h, w; at most the image)
    overlapping by at least ``overlap``, and hand the blended outputs over band by band.

    ``window_output(y, x)`` returns the float ``(channels, h, w)`` output of the window whose top
    left corner is at (y, x). ``emit(top, bottom, band)`` receives the blended ``(channels,
    bottom - top, W)`` rows ``top:bottom`` as soon as no later window touches them; the bands
    cover the image once, top to bottom. Memory: one band of ``h`` rows. An image that fits in
    one window gets that window's output unchanged (no weighting).
    """
    height, width = size
    th, tw = window
    ys, xs = window_starts(height, th, overlap), window_starts(width, tw, overlap)
    if len(ys) == 1 and len(xs) == 1:
        emit(0, height, window_output(0, 0))
        return
    weight = blend_weights(th, tw, overlap)
    acc = np.zeros((channels, th, width), np.float32)  # rows [top, top + th)
    wsum = np.zeros((th, width), np.float32)
    top = 0

    def flush(bottom: int) -> None:
        n = bottom - top
        emit(top, bottom, acc[:, :n] / np.maximum(wsum[:n], 1e-6))

    for y in ys:
        if y > top:  # rows above y are final: hand them over, shift the band
            flush(y)
            shift = y - top
            acc[:, : th - shift] = acc[:, shift:].copy()
            acc[:, th - shift :] = 0.0
            wsum[: th - shift] = wsum[shift:].copy()
            wsum[th - shift :] = 0.0
            top = y
        for x in xs:
            acc[:, :, x : x + tw] += window_output(y, x) * weight
            wsum[:, x : x + tw] += weight
    flush(ys[-1] + th)


def tiled_apply(
    fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray, tile: int = 512, overlap: int = 32
) -> np.ndarray:
    """``fn`` (a ``(C, h, w)`` window -> its ``(C', h, w)`` output, any channels and dtype) over
    ``x`` ``(C, H, W)`` in tiles of at most ``tile`` pixels a side; each tile sees ``overlap``
    pixels of context on every side and only its centre is kept. An image that fits in one tile
    is one call. Memory: one tile plus the output.
    """
    h, w = x.shape[1:]
    if h <= tile and w <= tile:
        return fn(x)
    out: np.ndarray | None = None
    step = tile - 2 * overlap
    for y0 in range(0, h, step):
        for x0 in range(0, w, step):
            y1, x1 = min(y0 + step, h), min(x0 + step, w)
            ys, xs = max(0, y0 - overlap), max(0, x0 - overlap)
            ye, xe = min(h, y1 + overlap), min(w, x1 + overlap)
            res = fn(x[:, ys:ye, xs:xe])
            if out is None:
                out = np.empty((res.shape[0], h, w), res.dtype)
            out[:, y0:y1, x0:x1] = res[:, y0 - ys : y1 - ys, x0 - xs : x1 - xs]
    assert out is not None  # at least one tile
    return out
