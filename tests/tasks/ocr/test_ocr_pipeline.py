"""The OCR pipeline on real scans (tesseract's test pages) and on bad input."""

from __future__ import annotations

import numpy as np
import pytest

from foveal.errors import ImageError
from foveal.evaluate.ocr import cer
from foveal.results import TextLines


@pytest.fixture(scope="module")
def reader():
    from foveal.tasks.ocr import TextReader

    return TextReader()


@pytest.fixture(scope="module")
def pages(shared):
    return shared / "data" / "ocr" / "pages"


@pytest.fixture(scope="module")
def gold(pages) -> str:
    return (pages / "phototest.gold.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def phototest(reader, pages) -> TextLines:
    return reader.predict(pages / "phototest.tif")


def test_phototest_cer_under_2_percent(phototest, gold) -> None:
    assert cer(phototest.text, gold) <= 0.02
    assert len(phototest) == 8
    assert (phototest.scores > 0.9).all()


def test_phototest_layout_lines_and_paragraphs(phototest, gold) -> None:
    # the gold file's lines and its blank line between the two paragraphs
    assert cer(phototest.text, gold, keep_lines=True) <= 0.02
    assert phototest.paragraph_ids.tolist() == [0, 0, 0, 1, 1, 1, 1, 1]
    # reading order: top to bottom
    tops = phototest.polygons[:, :, 1].min(axis=1)
    assert (np.diff(tops) > 0).all()


@pytest.mark.parametrize(
    "name", ["phototest-rotated-L.png", "phototest-rotated-R.png", "phototest-rotated-180.png"]
)
def test_rotated_pages_read_the_same(reader, pages, phototest, name) -> None:
    lines, page = reader.read_page(pages / name)
    assert lines.text == phototest.text
    assert page.rotation in (1, 2, 3)
    assert page.segments >= len(lines) and set(page.timings) >= {"detect", "recognize"}
    # polygons stay in the rotated input's pixels
    h, w = np.asarray(__import__("PIL.Image", fromlist=["Image"]).open(pages / name)).shape[:2]
    assert (lines.polygons[..., 0] <= w + 1).all() and (lines.polygons[..., 1] <= h + 1).all()


def test_eurotext_cer(reader, pages) -> None:
    lines = reader.predict(pages / "eurotext.tif")
    ref = (pages / "eurotext.txt").read_text(encoding="utf-8")
    assert cer(lines.text, ref) <= 0.03
    assert "über den faulen Hund" in lines.text


def test_blank_image_gives_no_lines(reader) -> None:
    lines = reader.predict(np.full((300, 400, 3), 255, np.uint8))
    assert len(lines) == 0 and lines.text == ""
    assert lines.to_dict()["lines"] == []


def test_photo_without_text_is_graceful(reader, photos) -> None:
    lines = reader.predict(photos["chelsea"])  # a cat, no text
    assert isinstance(lines, TextLines)
    assert len(lines.text) < 20


def test_tiny_and_one_pixel_images(reader) -> None:
    assert len(reader.predict(np.zeros((1, 1, 3), np.uint8))) == 0
    assert len(reader.predict(np.full((5, 3000, 3), 255, np.uint8))) == 0


def test_huge_page_with_small_paragraph(reader) -> None:
    from foveal.tasks.ocr.synth import render_page

    # 120 px letters on a 6000 x 4500 page: the detector sees the page at 1/3 scale
    text = render_page(["The quick brown fox", "jumps over the lazy dog"], font_size=120)
    page = np.full((6000, 4500, 3), 255, np.uint8)
    page[2000 : 2000 + text.shape[0], 1000 : 1000 + text.shape[1]] = text
    lines = reader.predict(page)
    assert cer(lines.text, "The quick brown fox jumps over the lazy dog") <= 0.05
    # polygons in the huge page's pixels
    assert lines.polygons[..., 1].min() > 1900


def test_tiny_text(reader) -> None:
    from foveal.tasks.ocr.synth import render_page

    page = render_page(
        ["Small print is hard to read", "but not impossible"], font_size=11, margin=10
    )
    lines = reader.predict(page)
    assert cer(lines.text, "Small print is hard to read but not impossible") <= 0.15


def test_non_latin_text_is_graceful(reader) -> None:
    from foveal.tasks.ocr.synth import render_page

    page = render_page(["Съешь же ещё этих мягких", "Ξεσκεπάζω την ψυχοφθόρα"], font_size=36)
    lines = reader.predict(page)
    assert isinstance(lines, TextLines)
    assert ((lines.scores >= 0) & (lines.scores <= 1)).all()
    lines.to_json(ensure_ascii=False)


def test_corrupt_file_raises_image_error(reader, tmp_path, pages) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes((pages / "phototest-rotated-L.png").read_bytes()[:300])
    with pytest.raises(ImageError):
        reader.predict(bad)
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"not an image at all")
    with pytest.raises(ImageError):
        reader.predict(junk)


def test_predict_batch_reports_bad_files(reader, tmp_path, pages) -> None:
    from foveal.io import BatchReport

    bad = tmp_path / "empty.png"
    bad.write_bytes(b"")
    report = BatchReport()
    out = list(reader.predict_batch([bad, np.full((50, 50, 3), 255, np.uint8)], report=report))
    assert len(out) == 1 and report.ok == 1 and len(report.bad) == 1


def test_small_body_text_under_a_big_title_is_not_lost(reader) -> None:
    # the half-resolution detection pass sees the title but not the body: it must fall back
    from foveal.tasks.ocr.synth import render_page

    title = render_page(["Annual Report"], font_size=90, margin=10)
    body = render_page(
        ["small body text must still be read", "even under a large title"], font_size=13, margin=10
    )
    page = np.full((1200, 1600, 3), 255, np.uint8)
    page[50 : 50 + title.shape[0], 50 : 50 + title.shape[1]] = title
    page[400 : 400 + body.shape[0], 50 : 50 + body.shape[1]] = body
    lines = reader.predict(page)
    assert "Annual Report" in lines.text
    assert (
        cer(
            " ".join(lines.texts[1:]), "small body text must still be read even under a large title"
        )
        <= 0.1
    )


def test_one_reader_shared_by_two_threads_reads_like_serial(reader, pages) -> None:
    """No per-call state: concurrent reads (with different options) give each call its own
    result."""
    from concurrent.futures import ThreadPoolExecutor

    calls = [
        (pages / "phototest.tif", {}),
        (pages / "phototest-rotated-R.png", {"text_score": 0.997}),
        (pages / "eurotext.tif", {}),
        (pages / "phototest-rotated-180.png", {"orient": False}),
    ]

    def read(call):
        lines, page = reader.read_page(call[0], **call[1])
        return lines.text, lines.scores.tolist(), page.rotation

    serial = [read(c) for c in calls]
    with ThreadPoolExecutor(max_workers=2) as pool:
        parallel = list(pool.map(read, calls))
    assert parallel == serial
    assert serial[1][2] != 0 and serial[3][2] == 0  # orient=False is this call's own
    assert min(serial[1][1]) >= 0.997 and len(serial[1][1]) < len(serial[0][1])


def test_text_score_is_a_checked_call_option(reader, phototest) -> None:
    from foveal.errors import ConfigError

    with pytest.raises(ConfigError):
        reader.options(text_score=1.5)
    with pytest.raises(ConfigError):
        reader.options(min_score=0.5)
    assert reader.options().text_score == 0.5


@pytest.mark.parametrize("k", [1, 3])
def test_a_page_turned_a_quarter_reads_like_upright(reader, k) -> None:
    """scikit-image's page.png (a photographed book page) lying on either side: the upright
    page is detected again, so no line is merged or lost (the sideways boxes lost one)."""
    from skimage import data

    upright = np.repeat(data.page()[..., None], 3, axis=2)
    lines, page = reader.read_page(np.ascontiguousarray(np.rot90(upright, k)))
    assert page.rotation == k  # quarter turns clockwise back to upright
    assert lines.text == reader(upright).text
    assert "the markers are found at the two extreme parts of the" in lines.text
