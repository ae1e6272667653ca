"""The header reader that picks OpenCV's decoder: it must say "plain" only where OpenCV gives the
Pillow path's pixels, and say "not plain" for every file that needs Pillow."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from foveal.io import load_image
from foveal.io.header import plain_size


def pillow_path(data: bytes) -> np.ndarray:
    """What the Pillow path gives (EXIF rotation applied, converted to RGB)."""
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def encode(arr: np.ndarray, fmt: str, mode: str | None = None, **kw) -> bytes:
    buf = io.BytesIO()
    img = Image.fromarray(arr)
    if mode:
        img = img.convert(mode)
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.fixture()
def rgb() -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, size=(40, 56, 3), dtype=np.uint8)


def test_real_files_take_the_fast_path_with_pillow_pixels(shared: Path) -> None:
    data = shared / "data"
    files = [
        *sorted((data / "classification" / "hymenoptera").rglob("*.jpg"))[:40],
        *sorted((data / "detection" / "bccd").rglob("*.jpg"))[:30],
        *sorted((data / "faces" / "people").rglob("*.jpg")),
        *sorted((data / "ocr" / "receipts").rglob("*.jpg"))[:10],
        *sorted((data / "segmentation" / "membrane").rglob("*.png"))[:10],
        *sorted((data / "ocr" / "pages").glob("*.png")),
    ]
    assert len(files) >= 100
    fast = 0
    for f in files:
        raw = f.read_bytes()
        size = plain_size(raw)
        if size is not None:
            fast += 1
            with Image.open(f) as im:
                assert size == im.size, f
        assert np.array_equal(load_image(f), pillow_path(raw)), f
    assert fast >= 0.9 * len(files)  # the real files are plain: the fast path is the usual one


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("jpeg", (56, 40)),
        ("jpeg-grey", (56, 40)),
        ("jpeg-progressive", (56, 40)),
        ("jpeg-exif-orientation-1", (56, 40)),
        ("png", (56, 40)),
        ("png-grey", (56, 40)),
        ("jpeg-exif-rotated", None),
        ("jpeg-xmp-rotated", None),
        ("jpeg-cmyk", None),
        ("jpeg-truncated", None),
        ("png-exif-rotated", None),
        ("png-rgba", None),
        ("png-palette", None),
        ("png-transparent-colour", None),
        ("png-16-bit", None),
        ("png-1-bit", None),
        ("png-truncated", None),
        ("gif", None),
    ],
)
def test_plain_or_not(case: str, expected: tuple[int, int] | None, rgb: np.ndarray) -> None:
    rotate = Image.Exif()
    rotate[0x0112] = 6
    upright = Image.Exif()
    upright[0x0112] = 1
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        b'22-rdf-syntax-ns#"><rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
        b'tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>'
    )
    makers = {
        "jpeg": lambda: encode(rgb, "JPEG"),
        "jpeg-grey": lambda: encode(rgb, "JPEG", "L"),
        "jpeg-progressive": lambda: encode(rgb, "JPEG", progressive=True),
        "jpeg-exif-orientation-1": lambda: encode(rgb, "JPEG", exif=upright),
        "jpeg-exif-rotated": lambda: encode(rgb, "JPEG", exif=rotate),
        "jpeg-xmp-rotated": lambda: encode(rgb, "JPEG", xmp=xmp),
        "jpeg-cmyk": lambda: encode(rgb, "JPEG", "CMYK"),
        "jpeg-truncated": lambda: encode(rgb, "JPEG")[:-200],
        "png": lambda: encode(rgb, "PNG"),
        "png-grey": lambda: encode(rgb, "PNG", "L"),
        "png-exif-rotated": lambda: encode(rgb, "PNG", exif=rotate),
        "png-rgba": lambda: encode(rgb, "PNG", "RGBA"),
        "png-palette": lambda: encode(rgb, "PNG", "P"),
        "png-transparent-colour": lambda: encode(rgb, "PNG", transparency=(0, 0, 0)),
        "png-16-bit": lambda: encode((rgb[..., 0].astype(np.uint16) * 257), "PNG"),
        "png-1-bit": lambda: encode(rgb, "PNG", "1"),
        "png-truncated": lambda: encode(rgb, "PNG")[:-30],
        "gif": lambda: encode(rgb, "GIF"),
    }
    data = makers[case]()
    assert plain_size(data) == expected
    if case == "png-16-bit":  # scaled to 8 bits, not clipped as Pillow's convert("RGB") would
        assert np.array_equal(load_image(data)[..., 1], rgb[..., 0])
    elif not case.endswith("truncated"):
        # plain or not, load_image gives the Pillow path's pixels (rotation, alpha)
        assert np.array_equal(load_image(data), pillow_path(data))
