"""Page orientation that never garbles an upright page (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest

from foveal.errors import ConfigError
from foveal.evaluate.ocr import cer

# scikit-image's page.png, typed from the image (the cut-off caption under the last line is not
# text a reader can make out, so it is not part of the truth).
PAGE_TRUTH = """Region-based segmentation
Let us first determine markers of the coins and the
background. These markers are pixels that we can label
unambiguously as either object or background. Here,
the markers are found at the two extreme parts of the
histogram of grey values:
>>> markers = np.zeros_like(coins)"""


@pytest.fixture(scope="module")
def reader():
    from foveal.tasks.ocr import TextReader

    return TextReader()


@pytest.fixture(scope="module")
def page_png() -> np.ndarray:
    import skimage.data

    return np.repeat(skimage.data.page()[..., None], 3, axis=2)


def test_skimage_page_is_read_upright_with_defaults(reader, page_png) -> None:
    lines, page = reader.read_page(page_png)
    assert page.rotation == 0
    assert cer(lines.text, PAGE_TRUTH) <= 0.02
    assert lines.texts[0] == "Region-based segmentation"  # the title stays first


def test_skimage_page_turned_upside_down_is_turned_back(reader, page_png) -> None:
    lines, page = reader.read_page(np.ascontiguousarray(page_png[::-1, ::-1]))
    assert page.rotation == 2
    assert cer(lines.text, PAGE_TRUTH) <= 0.02


def test_flip_options_are_checked(reader, page_png) -> None:
    with pytest.raises(ConfigError, match="flip_margin"):
        reader.read_page(page_png, flip_margin=2.0)
