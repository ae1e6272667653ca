"""Safe image loading: every odd or broken input gives the documented behaviour."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from foveal.errors import ImageError
from foveal.io import BatchReport, expand_sources, iter_images, load_image


def _png_bytes(arr: np.ndarray, **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr, **kw).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture()
def rgb() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8)


def test_zero_byte_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.jpg"
    p.write_bytes(b"")
    with pytest.raises(ImageError, match="empty"):
        load_image(p)


def test_truncated_jpeg(tmp_path: Path, photos: dict[str, Path]) -> None:
    buf = io.BytesIO()
    Image.open(photos["chelsea"]).convert("RGB").save(buf, format="JPEG", quality=90)
    p = tmp_path / "truncated.jpg"
    p.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(ImageError, match="truncated.jpg.*(corrupt|truncated)"):
        load_image(p)


def test_text_file_named_jpg(tmp_path: Path) -> None:
    p = tmp_path / "notes.jpg"
    p.write_text("this is not an image\n")
    with pytest.raises(ImageError, match="notes.jpg is not an image"):
        load_image(p)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="is a folder"):
        load_image(tmp_path)


def test_16_bit_png_scaled_to_8_bit(tmp_path: Path) -> None:
    ramp = (np.arange(256 * 4, dtype=np.uint32).reshape(4, 256) * 64).astype(np.uint16)
    p = tmp_path / "deep.png"
    Image.fromarray(ramp).save(p)  # mode I;16
    assert Image.open(p).mode.startswith("I")
    out = load_image(p)
    assert out.shape == (4, 256, 3) and out.dtype == np.uint8
    expected = np.round(ramp.astype(np.float64) / 65535 * 255).astype(np.uint8)
    assert np.abs(out[..., 0].astype(int) - expected).max() <= 1
    assert (out[..., 0] == out[..., 2]).all()


def test_cmyk_jpeg_converted_to_rgb(tmp_path: Path, rgb: np.ndarray) -> None:
    p = tmp_path / "cmyk.jpg"
    Image.fromarray(rgb).convert("CMYK").save(p, quality=100)
    assert Image.open(p).mode == "CMYK"
    out = load_image(p)
    assert out.shape == rgb.shape
    # JPEG is lossy; the colours must still be close to the original (not inverted, not garbage)
    assert np.abs(out.astype(int) - rgb.astype(int)).mean() < 12


def test_palette_png_with_transparency_on_white(tmp_path: Path) -> None:
    img = Image.new("P", (10, 10), 0)
    img.putpalette([255, 0, 0] + [0, 0, 255] + [0, 0, 0] * 254)
    img.paste(1, (5, 0, 10, 10))
    img.info["transparency"] = 0  # index 0 (red) is transparent
    p = tmp_path / "pal.png"
    img.save(p, transparency=0)
    out = load_image(p)
    assert out.shape == (10, 10, 3)
    assert (out[:, :5] == 255).all(), "transparent pixels are composited on white"
    assert (out[:, 5:] == [0, 0, 255]).all()


def test_rgba_array_and_grayscale_array() -> None:
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 1] = 200
    rgba[:2, ..., 3] = 255  # top half opaque green, bottom half fully transparent
    out = load_image(rgba)
    assert (out[:2] == [0, 200, 0]).all() and (out[2:] == 255).all()
    gray = np.full((3, 5), 7, np.uint8)
    assert load_image(gray).shape == (3, 5, 3)
    with pytest.raises(ImageError, match="expected"):
        load_image(np.zeros((2, 2, 2), np.uint8))


def _bomb_png(width: int, height: int) -> bytes:
    """A valid PNG signature + IHDR declaring width x height, then a tiny IDAT: a header bomb."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def test_decompression_bomb_refused_from_header(tmp_path: Path) -> None:
    p = tmp_path / "bomb.png"
    p.write_bytes(_bomb_png(30000, 30000))
    with pytest.raises(ImageError, match=r"30000x30000 = 900,000,000 pixels, over the limit"):
        load_image(p)
    with pytest.raises(ImageError, match="over the limit of 1,000"):
        load_image(_png_bytes(np.zeros((40, 40, 3), np.uint8)), max_pixels=1000)


def test_pixel_limit_configurable_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _png_bytes(np.zeros((40, 40, 3), np.uint8))
    monkeypatch.setenv("FOVEAL_MAX_PIXELS", "100")
    with pytest.raises(ImageError, match="limit of 100"):
        load_image(data)
    monkeypatch.setenv("FOVEAL_MAX_PIXELS", "10000")
    assert load_image(data).shape == (40, 40, 3)


def test_exif_orientation_applied(tmp_path: Path, rgb: np.ndarray) -> None:
    p = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    Image.fromarray(rgb).save(p, exif=exif, quality=100, subsampling=0)
    raw = np.asarray(Image.open(p).convert("RGB"))
    out = load_image(p)
    assert out.shape == (64, 48, 3)
    np.testing.assert_array_equal(out, np.rot90(raw, k=-1))


def test_loader_accepts_bytes_pil_and_float_arrays(rgb: np.ndarray) -> None:
    np.testing.assert_array_equal(load_image(_png_bytes(rgb)), rgb)
    np.testing.assert_array_equal(load_image(Image.fromarray(rgb)), rgb)
    np.testing.assert_array_equal(load_image(rgb.astype(np.float32) / 255.0), rgb)
    with pytest.raises(ImageError, match="0 bytes"):
        load_image(b"")
    with pytest.raises(ImageError, match="cannot load an image from int"):
        load_image(3)  # type: ignore[arg-type]


def test_batch_skips_and_reports_bad_files(tmp_path: Path, rgb: np.ndarray) -> None:
    (tmp_path / "a.png").write_bytes(_png_bytes(rgb))
    (tmp_path / "b.jpg").write_text("oops")
    (tmp_path / "c.png").write_bytes(b"")
    (tmp_path / "d.png").write_bytes(_png_bytes(rgb[:10]))
    (tmp_path / "readme.txt").write_text("ignored: not an image extension")
    files = expand_sources(tmp_path)
    assert [f.name for f in files] == ["a.png", "b.jpg", "c.png", "d.png"]
    report = BatchReport()
    got = [Path(src).name for src, _ in iter_images(files, report=report)]
    assert got == ["a.png", "d.png"]
    assert report.ok == 2
    assert sorted(Path(b.source).name for b in report.bad) == ["b.jpg", "c.png"]
    assert "2 image(s) processed, 2 skipped" in report.summary()


def test_expand_sources_glob_and_errors(tmp_path: Path, rgb: np.ndarray) -> None:
    for n in ("x1.png", "x2.png"):
        (tmp_path / n).write_bytes(_png_bytes(rgb))
    assert len(expand_sources(str(tmp_path / "x*.png"))) == 2
    with pytest.raises(ImageError, match="matches no file"):
        expand_sources(str(tmp_path / "zz*.png"))
    with pytest.raises(ImageError, match="no such file or folder"):
        expand_sources(tmp_path / "missing")
