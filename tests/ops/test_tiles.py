"""Windows over large images (foveal.ops.tiles): every pixel covered once, centres kept or
outputs blended, bands handed over in order."""

from __future__ import annotations

import numpy as np
import pytest

from foveal.ops.tiles import blend_weights, blend_windows, tiled_apply, window_starts


def run(image: np.ndarray, window: tuple[int, int], overlap: int, fn=None) -> tuple:  # noqa: ANN001
    """Blend ``fn`` (default: each window's own pixels) over ``image`` (C, H, W); returns the
    output and the bands handed over."""
    c, h, w = image.shape
    th, tw = window
    out = np.full_like(image, np.nan)
    bands: list[tuple[int, int]] = []
    fn = fn or (lambda y, x: image[:, y : y + th, x : x + tw])

    def emit(top: int, bottom: int, band: np.ndarray) -> None:
        assert band.shape == (c, bottom - top, w)
        out[:, top:bottom] = band
        bands.append((top, bottom))

    blend_windows(fn, (h, w), window, overlap=overlap, channels=c, emit=emit)
    return out, bands


@pytest.mark.parametrize("shape", [(1, 77, 45), (3, 64, 64), (2, 200, 31), (1, 33, 300)])
def test_identity_windows_give_the_image_back_in_ordered_bands(shape: tuple) -> None:
    image = np.random.default_rng(0).random(shape, dtype=np.float32)
    window = (min(32, shape[1]), min(32, shape[2]))
    out, bands = run(image, window, overlap=8)
    np.testing.assert_allclose(out, image, rtol=1e-6)
    rows = [r for top, bottom in bands for r in range(top, bottom)]
    assert rows == list(range(shape[1]))  # every row exactly once, top to bottom


def test_one_window_is_returned_unweighted() -> None:
    image = np.random.default_rng(1).random((3, 40, 50), dtype=np.float32)
    out, bands = run(image, (40, 50), overlap=8, fn=lambda y, x: image + 1)
    assert bands == [(0, 40)] and np.array_equal(out, image + 1)


def test_window_edges_weigh_less_than_centres() -> None:
    """Two windows disagree (one says 0, the other 1): near each window's centre its own value
    wins, and the hand-over is monotonic across the overlap (no seam)."""
    image = np.zeros((1, 1, 100), np.float32)

    def fn(y: int, x: int) -> np.ndarray:
        return np.full((1, 1, 64), float(x > 0), np.float32)

    out, _ = run(image, (1, 64), overlap=28, fn=fn)
    row = out[0, 0]
    assert row[10] < 0.01 and row[90] > 0.99
    assert np.all(np.diff(row) >= -1e-6)


def test_window_starts_and_weights() -> None:
    for length in (1, 63, 64, 65, 500, 1000):
        starts = window_starts(length, 64, 16)
        covered = np.zeros(length, bool)
        for s in starts:
            covered[s : s + 64] = True
        assert covered.all() and starts[0] == 0 and starts[-1] == max(0, length - 64)
        assert all(b - a <= 48 for a, b in zip(starts, starts[1:], strict=False))
    w = blend_weights(64, 64, 16)
    assert w[32, 32] == 1.0 and w[0, 0] < 0.01 and w.dtype == np.float32


@pytest.mark.parametrize("shape", [(1, 77, 45), (3, 200, 64), (2, 31, 300)])
def test_tiled_apply_keeps_centres_and_covers_every_pixel(shape: tuple) -> None:
    x = np.random.default_rng(2).random(shape, dtype=np.float32)
    seen: list[tuple[int, int]] = []

    def fn(window: np.ndarray) -> np.ndarray:
        assert window.shape[1] <= 32 and window.shape[2] <= 32
        seen.append(window.shape[1:])
        return window + 1

    assert np.array_equal(tiled_apply(fn, x, tile=32, overlap=8), x + 1)
    assert len(seen) > 1
    small = np.zeros((3, 20, 30), np.float32)
    assert tiled_apply(lambda w: w - 1, small, tile=32, overlap=8).min() == -1.0
