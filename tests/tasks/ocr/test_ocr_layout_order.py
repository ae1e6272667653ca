"""Reading order on documents: columns never mixed, receipts read row by row (issue 13)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from foveal.errors import ConfigError
from foveal.evaluate.ocr import cer

ROOT = Path(__file__).resolve().parents[3]


def _columns_module():
    spec = importlib.util.spec_from_file_location("ocr_columns", ROOT / "bench/ocr_columns.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def reader():
    from foveal.tasks.ocr import TextReader

    return TextReader()


@pytest.fixture(scope="module")
def two_columns():
    page = _columns_module().columns_page(columns=2, seed=0)
    # half size (150 dpi) keeps the test quick; the text is still 20+ pixels tall
    import cv2

    small = cv2.resize(page.image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    return page, small


def test_two_column_page_reads_column_one_before_column_two(reader, two_columns) -> None:
    page, image = two_columns
    lines = reader.predict(image)
    split = (page.column_x[0][1] + page.column_x[1][0]) / 2 * 0.5
    top, bottom = page.body_top * 0.5, page.body_bottom * 0.5
    cx = lines.polygons[:, :, 0].mean(axis=1)
    cy = lines.polygons[:, :, 1].mean(axis=1)
    body = (cy > top) & (cy < bottom)
    column = np.where(cx < split, 1, 2)[body]
    assert (column == 1).sum() >= len(page.column_lines[0]) - 1
    assert (column == 2).sum() >= len(page.column_lines[1]) - 1
    last_of_first = np.flatnonzero(column == 1).max()
    first_of_second = np.flatnonzero(column == 2).min()
    assert last_of_first < first_of_second  # every line of column 1 comes before column 2's
    assert lines.texts[0] == page.truth.splitlines()[0]  # the header first, the footer last
    assert lines.texts[-1] == page.truth.splitlines()[-1]
    assert cer(lines.text, page.truth) <= 0.02


def test_rows_join_a_form_row_left_to_right(reader) -> None:
    from foveal.tasks.ocr.synth import render_page

    # a key/value form: keys left, values far right; read as columns it would be all keys first
    keys = ["Doc No", "Date", "Cashier", "Total"]
    values = ["CS00031663", "02/12/2017", "USER", "29.68"]
    width = 900
    rows_img = [render_page([k], font_size=28, width=width // 2) for k in keys]
    vals_img = [render_page([v], font_size=28, width=width // 2) for v in values]
    pairs = zip(rows_img, vals_img, strict=True)
    image = np.concatenate([np.concatenate(p, axis=1) for p in pairs], axis=0)
    want = [f"{k} {v}" for k, v in zip(keys, values, strict=True)]
    assert reader.predict(image).texts == want  # auto
    assert reader.predict(image, layout="rows").texts == want
    assert reader.predict(image, layout="columns").texts == keys + values


def test_layout_option_is_checked(reader) -> None:
    with pytest.raises(ConfigError, match="layout must be one of auto, columns, rows, none"):
        reader.predict(np.full((64, 64, 3), 255, np.uint8), layout="grid")
