"""Bad input for document OCR: a result or one clear line, never a traceback (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest

from foveal.results import TextLines


@pytest.fixture(scope="module")
def reader():
    from foveal.tasks.ocr import TextReader

    return TextReader()


def test_blank_300_dpi_page_gives_no_lines(reader) -> None:
    lines, page = reader.read_page(np.full((3300, 2550, 3), 255, np.uint8))
    assert len(lines) == 0 and page.rotation == 0


def test_page_that_is_only_a_photo(reader) -> None:
    import cv2
    import skimage.data

    photo = cv2.resize(skimage.data.astronaut(), (2550, 3300), interpolation=cv2.INTER_LINEAR)
    lines = reader.predict(photo, layout="auto")
    assert isinstance(lines, TextLines)
    assert len(lines.text) < 40


@pytest.mark.parametrize("layout", ["auto", "columns", "rows", "none"])
def test_one_pixel_high_strips(reader, layout) -> None:
    rng = np.random.default_rng(0)
    strip = rng.integers(0, 256, (1, 4000, 3), dtype=np.uint8)
    assert len(reader.predict(strip, layout=layout)) == 0
    assert len(reader.predict(np.ascontiguousarray(strip.transpose(1, 0, 2)), layout=layout)) == 0
