"""Hostile and odd inputs through foveal.io: each gives a right image or one clear ImageError line,
through load_image and through iter_sources with a BatchReport (the batch goes on)."""

from __future__ import annotations

import errno
import io
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import foveal.io.image as image_module
from foveal.errors import ImageError
from foveal.io import BatchReport, iter_images, iter_sources, load_image
from foveal.tasks.predictor import Predictor

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` 8-bit RGB, with a tiny (wrong) IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


def encrypted_pdf() -> bytes:
    """A one-page PDF with a standard-security /Encrypt dictionary (unknown password)."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>" % (b"11" * 32, b"22" * 32),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [<%s> <%s>] >>\n" % (
        len(objs) + 1,
        b"ab" * 16,
        b"ab" * 16,
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and "Traceback" not in text
    return text


@pytest.fixture()
def rgb() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(40, 56, 3), dtype=np.uint8)


def _save(img: Image.Image, path: Path, **kw: object) -> Path:
    img.save(path, **kw)
    return path


# -- broken files: one clear line -----------------------------------------------------------------
def test_broken_files_each_give_one_line_and_the_batch_goes_on(tmp_path: Path, rgb) -> None:
    good = _save(Image.fromarray(rgb), tmp_path / "a_good.png")
    (tmp_path / "b_zero.jpg").write_bytes(b"")
    jpeg = io.BytesIO()
    Image.fromarray(rgb).save(jpeg, format="JPEG")
    (tmp_path / "c_trunc.jpg").write_bytes(jpeg.getvalue()[: len(jpeg.getvalue()) // 2])
    png = io.BytesIO()
    Image.fromarray(rgb).save(png, format="PNG")
    (tmp_path / "d_trunc.png").write_bytes(png.getvalue()[:-40])
    (tmp_path / "e_text.jpg").write_text("hello, not an image\n")
    (tmp_path / "f_bomb.png").write_bytes(png_header(30000, 30000))
    (tmp_path / "g_corrupt.mp4").write_bytes(np.random.default_rng(1).bytes(4000))
    (tmp_path / "h_random.pdf").write_bytes(b"%PDF-1.4\n" + np.random.default_rng(2).bytes(500))
    (tmp_path / "i_encrypted.pdf").write_bytes(encrypted_pdf())
    expected = {
        "b_zero.jpg": "empty",
        "c_trunc.jpg": "corrupt or truncated",
        "d_trunc.png": "corrupt or truncated",
        "e_text.jpg": "is not an image",
        "f_bomb.png": "too large: 30000x30000",
        "g_corrupt.mp4": "could not be opened as a video",
        "h_random.pdf": "not a PDF foveal can open",
        "i_encrypted.pdf": "encrypted",
    }
    report = BatchReport()
    loaded = []
    for item in iter_sources(tmp_path, report=report):
        try:
            loaded.append((item.name, item.load()))
        except ImageError as exc:
            report.add_bad(item, exc)
    assert [Path(n).name for n, _ in loaded] == ["a_good.png"]
    np.testing.assert_array_equal(loaded[0][1], load_image(good))
    got = {Path(b.source).name: b.error for b in report.bad}
    assert set(got) == set(expected)
    for name, words in expected.items():
        assert words in got[name] and name in got[name], (name, got[name])
        assert "\n" not in got[name]
    for name in ("b_zero.jpg", "c_trunc.jpg", "d_trunc.png", "e_text.jpg", "f_bomb.png"):
        with pytest.raises(ImageError, match=expected[name]) as info:
            load_image(tmp_path / name)
        _one_line(info.value)
        assert info.value.too_large == (name == "f_bomb.png")


def test_header_bomb_is_refused_before_decoding_as_too_large() -> None:
    with pytest.raises(ImageError, match="too large") as info:
        load_image(png_header(30000, 30000))
    assert info.value.too_large


def test_pillows_own_bomb_error_never_escapes(monkeypatch: pytest.MonkeyPatch) -> None:
    def bomb(*args: object, **kwargs: object) -> Image.Image:
        raise Image.DecompressionBombError("Image size (1000000000 pixels) exceeds limit")

    monkeypatch.setattr(image_module.Image, "open", bomb)
    with pytest.raises(ImageError, match="too large") as info:
        load_image(b"\x89PNG whatever")
    assert info.value.too_large
    _one_line(info.value)


# -- odd but valid images: the right pixels --------------------------------------------------------
def test_16_bit_cmyk_palette_la(tmp_path: Path, rgb) -> None:
    gray16 = (np.arange(40 * 56, dtype=np.uint32).reshape(40, 56) * 29).astype(np.uint16)
    p16 = _save(Image.fromarray(gray16), tmp_path / "g16.png")
    out = load_image(p16)
    want = (gray16.astype(np.float64) / 65535 * 255 + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(out, np.repeat(want[..., None], 3, axis=2))

    cmyk = _save(Image.fromarray(rgb).convert("CMYK"), tmp_path / "cmyk.jpg", quality=98)
    assert np.abs(load_image(cmyk).astype(int) - rgb).mean() < 12

    pal = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    p_pal = _save(pal, tmp_path / "pal.png", transparency=0)
    out = load_image(p_pal)
    idx = np.asarray(pal)
    assert (out[idx == 0] == 255).all()  # the transparent index is white
    np.testing.assert_array_equal(out[idx == 1][0], np.asarray(pal.convert("RGB"))[idx == 1][0])

    la = np.stack([rgb[..., 0], np.full((40, 56), 0, np.uint8)], axis=2)
    p_la = _save(Image.fromarray(la, "LA"), tmp_path / "la.png")
    assert (load_image(p_la) == 255).all()  # fully transparent -> white


def test_animated_gif_multipage_tiff_webp_avif(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (32, 24), c) for c in ((255, 0, 0), (0, 0, 255))]
    gif = tmp_path / "anim.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=50, loop=0)
    tif = tmp_path / "pages.tiff"
    frames[0].save(tif, save_all=True, append_images=frames[1:])
    for path in (gif, tif):
        out = load_image(path)
        assert out.shape == (24, 32, 3)
        assert out[0, 0, 0] > 200 and out[0, 0, 2] < 50  # the first frame / page
    for fmt in ("webp", "avif"):
        path = _save(frames[1], tmp_path / f"blue.{fmt}", quality=90)
        out = load_image(path)
        assert out.shape == (24, 32, 3) and out[..., 2].mean() > 200 and out[..., 0].mean() < 50


def test_large_exif_block_keeps_the_image(tmp_path: Path, rgb) -> None:
    exif = Image.Exif()
    exif[0x010E] = "x" * 4_000_000  # ImageDescription, 4 MB
    exif[0x0112] = 1
    path = _save(Image.fromarray(rgb), tmp_path / "exif.png", exif=exif)
    assert path.stat().st_size > 4_000_000
    np.testing.assert_array_equal(load_image(path), rgb)


def test_symlink_loop_and_unicode_names(tmp_path: Path, rgb) -> None:
    root = tmp_path / "fotos"
    (root / "sub").mkdir(parents=True)
    _save(Image.fromarray(rgb), root / "été 🐈.png")
    _save(Image.fromarray(rgb), root / "sub" / "日本.jpg")
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    (root / "self.png").symlink_to(root / "self.png")  # a link to itself
    report = BatchReport()
    images = list(iter_images((it.source for it in iter_sources(root)), report=report))
    names = sorted(Path(s).name for s, _ in images if "loop" not in Path(s).parts)
    assert names == sorted(["日本.jpg", "été 🐈.png"])
    assert len(images) <= 4  # the loop is not followed without end
    assert all(img.shape == (40, 56, 3) for _, img in images)


def test_fifo_named_jpg_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    with pytest.raises(ImageError, match="not a regular file"):
        load_image(fifo)
    report = BatchReport()
    assert list(iter_images([fifo], report=report)) == []
    assert "not a regular file" in report.bad[0].error


# -- inputs the system cannot read -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("error", "words"),
    [
        (PermissionError(errno.EACCES, "Permission denied"), "Permission denied"),
        (OSError(errno.EIO, "Input/output error"), "Input/output error"),
        (IsADirectoryError(errno.EISDIR, "Is a directory"), "Is a directory"),
    ],
)
def test_os_errors_are_listed_and_the_batch_goes_on(
    tmp_path: Path, rgb, monkeypatch: pytest.MonkeyPatch, error: OSError, words: str
) -> None:
    paths = [_save(Image.fromarray(rgb), tmp_path / f"{n}.png") for n in "abc"]
    real_open = open

    def flaky_open(file, *args, **kwargs):
        if Path(file).name == "b.png":
            raise error
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(image_module, "open", flaky_open, raising=False)
    with pytest.raises(ImageError, match=f"b.png could not be read \\({words}\\)") as info:
        load_image(paths[1])
    _one_line(info.value)

    class Mean(Predictor[float]):
        task = "mean"

        def prepare(self, image: np.ndarray) -> float:
            return float(image.mean())

        def run(self, prepared: list[float], options: object) -> list[float]:
            return prepared

    report = BatchReport()
    results = list(Mean().predict_batch(tmp_path, report=report, workers=2))
    assert [Path(it.name).name for it, _ in results] == ["a.png", "c.png"]
    assert results[0][1] == pytest.approx(rgb.mean())
    assert report.ok == 2 and [Path(b.source).name for b in report.bad] == ["b.png"]
    assert words in report.bad[0].error
    assert report.summary().count("b.png") == 1


def _drop_file_permissions() -> list[str]:
    """A command prefix under which chmod 000 means unreadable, even for root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv, "running as root: setpriv (util-linux) is needed to drop CAP_DAC_OVERRIDE"
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]


def test_really_unreadable_file_and_folder(tmp_path: Path, rgb) -> None:
    for n in "abc":
        _save(Image.fromarray(rgb), tmp_path / f"{n}.jpg")
    (tmp_path / "b.jpg").chmod(0)
    locked = tmp_path / "locked"
    locked.mkdir()
    _save(Image.fromarray(rgb), locked / "x.jpg")
    locked.chmod(0)
    code = (
        "import sys\n"
        "from foveal.io import BatchReport, iter_sources, expand_sources\n"
        "from foveal.errors import ImageError\n"
        "report = BatchReport()\n"
        "for item in iter_sources([sys.argv[1], sys.argv[2] + '/x.jpg'], report=report):\n"
        "    try:\n"
        "        item.load(); report.ok += 1\n"
        "    except ImageError as exc:\n"
        "        report.add_bad(item, exc)\n"
        "print(report.summary())\n"
        "try:\n"
        "    expand_sources(sys.argv[2])\n"
        "except ImageError as exc:\n"
        "    print('folder:', exc)\n"
    )
    try:
        proc = subprocess.run(
            [*_drop_file_permissions(), sys.executable, "-c", code, str(tmp_path), str(locked)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": SRC},
        )
    finally:
        locked.chmod(0o755)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "2 image(s) processed, 2 skipped"
    assert "b.jpg could not be read (Permission denied)" in lines[1]
    assert "x.jpg could not be read (Permission denied)" in lines[2]
    assert lines[3].startswith(f"folder: {locked} could not be read (Permission denied)")


# -- PDFs ------------------------------------------------------------------------------------------
def test_huge_pdf_page_is_rendered_within_the_pixel_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pypdfium2 as pdfium

    monkeypatch.setenv("FOVEAL_MAX_PIXELS", "16000000")  # the same rule as 100 MP, faster
    doc = pdfium.PdfDocument.new()
    doc.new_page(14400, 14400)
    doc.new_page(612, 792)
    path = tmp_path / "huge.pdf"
    doc.save(path)
    doc.close()
    report = BatchReport()
    with pytest.warns(UserWarning, match=r"huge.pdf page 1 is 14400x14400 pt.*rendered at \d+ dpi"):
        items = [(it.name, it.load()) for it in iter_sources(path, dpi=300, report=report)]
    assert not report.bad
    (n1, p1), (n2, p2) = items
    assert n1.endswith("#page=1") and p1.shape[0] * p1.shape[1] <= 16_000_000
    assert abs(p2.shape[0] - 3300) <= 1 and abs(p2.shape[1] - 2550) <= 1  # letter at 300 dpi
    assert (p1 == 255).all()
