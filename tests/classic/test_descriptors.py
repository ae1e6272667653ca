"""Hand-crafted descriptors on synthetic patterns whose answer is known from first principles."""

from __future__ import annotations

import numpy as np
import pytest

from foveal.classic.bovw import SiftBoVW
from foveal.classic.descriptors import HOG, LBP, ColorHistogram, Gabor
from foveal.errors import ConfigError, FovealError, ImageError
from foveal.features import get_extractor


def stripes(period: int, vertical: bool, size: int = 64) -> np.ndarray:
    x = np.arange(size)
    wave = (127.5 + 127.5 * np.sin(2 * np.pi * x / period)).astype(np.uint8)
    img = np.tile(wave, (size, 1)) if vertical else np.tile(wave[:, None], (1, size))
    return np.repeat(img[..., None], 3, axis=2)


@pytest.mark.parametrize("cls", [HOG, Gabor, LBP, ColorHistogram])
def test_shape_dtype_unit_norm(cls, photos):
    ex = cls()
    feats = ex.extract(list(photos.values()))
    assert feats.shape == (len(photos), ex.dim) and feats.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(feats, axis=1), 1.0, atol=1e-5)
    # deterministic
    np.testing.assert_array_equal(feats, ex.extract(list(photos.values())))


def test_hog_dim_and_orientation():
    hog = HOG(size=(64, 64), cell=8, bins=9)
    assert hog.dim == 7 * 7 * 4 * 9  # Dalal-Triggs layout: 7x7 blocks of 2x2 cells, 9 bins
    vert = hog.extract(stripes(8, vertical=True))[0].reshape(-1, 9)
    horiz = hog.extract(stripes(8, vertical=False))[0].reshape(-1, 9)
    # vertical stripes have horizontal gradients (0 degrees): bin 0;
    # horizontal stripes: 90 degrees, bin 4
    assert np.bincount(vert.argmax(axis=1), minlength=9).argmax() == 0
    assert np.bincount(horiz.argmax(axis=1), minlength=9).argmax() == 4
    with pytest.raises(ConfigError):
        HOG(size=(30, 30), cell=8)


def test_gabor_picks_orientation_and_wavelength():
    gab = Gabor(size=(64, 64), orientations=4, wavelengths=(4.0, 8.0, 16.0), grid=1)
    f = gab.extract(stripes(8, vertical=True))[0].reshape(
        3, 4, 2
    )  # wavelength x orientation x (mean, std)
    lam, theta = np.unravel_index(f[..., 0].argmax(), (3, 4))
    assert (lam, theta) == (1, 0)  # wavelength 8, theta 0 (a wave along x)
    f = gab.extract(stripes(8, vertical=False))[0].reshape(3, 4, 2)
    assert np.unravel_index(f[..., 0].argmax(), (3, 4)) == (1, 2)  # theta 90 degrees


def test_lbp_flat_image_is_one_uniform_code():
    lbp = LBP(size=(32, 32), points=8, radius=1, grid=2)
    f = lbp.extract(np.full((32, 32, 3), 90, np.uint8))[0].reshape(4, 10)
    # inside, every neighbour >= centre: all bits set, the uniform pattern with 8 ones -> code 8.
    # Each 16x16 cell has one image-border row and column (neighbours outside read as 0), so
    # 15 * 15 of its 256 pixels have code 8: Hellinger sqrt(225/256), then L2 over 4 cells: / 2.
    np.testing.assert_allclose(f[:, 8], np.sqrt(225 / 256) / 2, atol=1e-6)
    assert (f.argmax(axis=1) == 8).all()


def test_colour_histogram_of_pure_red():
    ch = ColorHistogram(bins=(8, 4, 4))
    f = ch.extract(np.tile(np.array([255, 0, 0], np.uint8), (20, 20, 1)))[0]
    # red: hue 0 -> bin 0, saturation 255 -> bin 3, value 255 -> bin 3
    assert f.argmax() == np.ravel_multi_index((0, 3, 3), (8, 4, 4))
    assert f.max() == pytest.approx(1.0)


def test_sift_bovw_fit_reproducible_and_robust(photos):
    imgs = list(photos.values())
    with pytest.raises(FovealError, match="fitted first"):
        SiftBoVW(words=16).extract(imgs[0])
    a = SiftBoVW(words=32, seed=3).fit(imgs)
    b = SiftBoVW(words=32, seed=3).fit(imgs)
    np.testing.assert_array_equal(a.vocabulary, b.vocabulary)
    feats = a.extract(imgs)
    assert feats.shape == (4, 32)
    np.testing.assert_allclose(np.linalg.norm(feats, axis=1), 1.0, atol=1e-5)
    # a rotated, smaller copy is closest to its original (SIFT is rotation and scale invariant)
    from foveal.io import load_image

    copy = np.rot90(load_image(imgs[1]))[::2, ::2]
    sims = feats @ a.extract(copy)[0]
    assert sims.argmax() == 1
    c = SiftBoVW(words=32, seed=3)
    c.set_state(a.get_state())
    np.testing.assert_allclose(c.extract(imgs[:1]), feats[:1], atol=1e-6)


def test_dense_sift_on_small_images():
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 255, (28, 28), dtype=np.uint8) for _ in range(20)]
    bovw = SiftBoVW(words=8, size=(28, 28), dense_step=4, patch=8).fit(imgs)
    assert bovw.extract(np.stack(imgs)).shape == (20, 8)  # a (N, H, W) gray stack is N images


def test_bad_image_raises_and_iter_reports(tmp_path, photos):
    from foveal.io import BatchReport

    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    hog = get_extractor("hog")
    with pytest.raises(ImageError):
        hog.extract([photos["coffee"], bad])
    report = BatchReport()
    got = list(hog.iter_extract([photos["coffee"], bad, photos["rocket"]], report=report))
    assert [str(s) for s, _ in got] == [str(photos["coffee"]), str(photos["rocket"])]
    assert report.ok == 2 and [b.source for b in report.bad] == [str(bad)]
