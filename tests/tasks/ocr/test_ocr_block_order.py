"""Layout blocks steer the reading order (issue 13): blocks first (headers first, footers last,
columns left to right), then the lines inside each block by their geometry."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from foveal.evaluate.ocr import cer
from foveal.tasks.ocr.blocks import block_lines
from foveal.tasks.ocr.layout import geometry_lines

ROOT = Path(__file__).resolve().parents[3]


def _columns_page(columns: int = 2, seed: int = 0):
    spec = importlib.util.spec_from_file_location("ocr_columns", ROOT / "bench/ocr_columns.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module.columns_page(columns=columns, seed=seed)


def _box(x1: float, y1: float, x2: float, y2: float) -> list[float]:
    return [x1, y1, x2, y2]


def test_blocks_turn_short_side_by_side_text_into_columns() -> None:
    # two narrow blocks of 3 lines side by side: too short for the geometry's columns (it reads
    # them row by row), but the layout model says they are two blocks: read one, then the other
    left = [_box(0, 20 * i, 60, 20 * i + 12) for i in range(3)]
    right = [_box(90, 20 * i, 150, 20 * i + 12) for i in range(3)]
    segs = np.asarray(left + right, np.float32)
    assert geometry_lines(segs) == [[0, 3], [1, 4], [2, 5]]
    blocks = np.asarray([_box(-2, -2, 62, 54), _box(88, -2, 152, 54)], np.float32)
    lines, raw = block_lines(segs, blocks, ["text", "text"])
    assert lines == [[0], [1], [2], [3], [4], [5]]
    assert raw.tolist() == [0, 0, 0, 1, 1, 1]


def test_header_first_footer_last_and_lines_outside_blocks_by_geometry() -> None:
    segs = np.asarray(
        [
            _box(0, 300, 100, 312),  # 0: page number, at the bottom: footer block
            _box(0, 40, 100, 52),  # 1: body, column 1
            _box(0, 60, 100, 72),  # 2: body, column 1
            _box(200, 40, 300, 52),  # 3: body, column 2
            _box(0, 0, 300, 12),  # 4: running header, across the page: header block
            _box(200, 100, 300, 112),  # 5: outside every block, below column 2
        ],
        np.float32,
    )
    blocks = np.asarray(
        [
            _box(-2, 298, 102, 314),
            _box(-2, 38, 102, 74),
            _box(198, 38, 302, 54),
            _box(-2, -2, 302, 14),
        ],
        np.float32,
    )
    lines, raw = block_lines(segs, blocks, ["footer", "text", "text", "header"])
    assert lines == [[4], [1], [2], [3], [5], [0]]
    assert raw.tolist() == [3, 1, 1, 2, -1, 0]
    # a footer drawn above the body is still read last; a header below it still first
    swapped = block_lines(segs, blocks, ["header", "text", "text", "footer"])[0]
    assert swapped == [[0], [1], [2], [3], [5], [4]]


def test_columns_first_even_across_a_wide_aligned_gap_and_a_loose_figure() -> None:
    # two columns (gutter 20 px) whose paragraph breaks line up (a 60 px gap across both): the
    # widest channel is horizontal, but blocks are read column by column
    def column(x: float) -> list[list[float]]:
        return [_box(x, y, x + 100, y + 12) for y in (0, 20, 40, 120, 140, 160)]

    segs = np.asarray(column(0) + column(120), np.float32)
    blocks = np.asarray(
        [_box(-2, -2, 102, 54), _box(-2, 118, 102, 174)]
        + [_box(118, -2, 222, 54), _box(118, 118, 222, 174)],
        np.float32,
    )
    lines, raw = block_lines(segs, blocks, ["text"] * 4)
    assert [i for line in lines for i in line] == list(range(12))
    assert raw.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    # a figure atop column 1 whose box reaches into the gutter (as the layout model's do), and a
    # 2-line block atop column 2 beside it: still column 1 (its caption, text), then column 2
    segs = np.asarray(
        [_box(0, 250, 100, 262), _box(0, 270, 100, 282)]  # caption, text in column 1
        + [_box(120, 0, 220, 12), _box(120, 20, 220, 32), _box(120, 300, 220, 312)],
        np.float32,
    )
    blocks = np.asarray(
        [_box(-10, -5, 116, 240), _box(-2, 248, 102, 284), _box(118, -2, 222, 34)]
        + [_box(118, 298, 222, 314)],
        np.float32,
    )
    lines, raw = block_lines(segs, blocks, ["figure", "text", "text", "text"])
    assert [i for line in lines for i in line] == [0, 1, 2, 3, 4]


def test_no_blocks_or_no_segments() -> None:
    segs = np.asarray([_box(0, 0, 40, 10), _box(0, 20, 40, 30)], np.float32)
    lines, raw = block_lines(segs, np.zeros((0, 4), np.float32), [])
    assert lines == geometry_lines(segs) and raw.tolist() == [-1, -1]
    lines, raw = block_lines(np.zeros((0, 4)), segs, ["text", "text"])
    assert lines == [] and raw.shape == (0,)


@pytest.fixture(scope="module")
def page():
    import cv2

    page = _columns_page()
    small = cv2.resize(page.image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    return page, small


def test_two_column_page_read_in_block_order(page) -> None:
    from foveal.tasks.ocr import TextReader

    truth, image = page
    reader = TextReader(blocks="ppocr_layout.cdla")
    lines = reader.predict(image)
    # columns never mixed: every line of column 1 before the first of column 2
    split = (truth.column_x[0][1] + truth.column_x[1][0]) / 2 * 0.5
    cx = lines.polygons[:, :, 0].mean(axis=1)
    cy = lines.polygons[:, :, 1].mean(axis=1)
    body = (cy > truth.body_top * 0.5) & (cy < truth.body_bottom * 0.5)
    column = np.where(cx < split, 1, 2)[body]
    assert (column == 1).sum() >= len(truth.column_lines[0]) - 1
    assert np.flatnonzero(column == 1).max() < np.flatnonzero(column == 2).min()
    assert lines.texts[0] == truth.truth.splitlines()[0]  # header first, footer last
    assert lines.texts[-1] == truth.truth.splitlines()[-1]
    assert cer(lines.text, truth.truth) <= 0.02
    # the order follows the blocks: each block's lines are one run, blocks in order
    ids = lines.block_ids
    assert (ids >= 0).mean() > 0.9
    runs = ids[np.r_[True, np.diff(ids) != 0]]
    assert len(set(runs.tolist())) == len(runs)  # no block is read twice
    assert (np.diff(ids[ids >= 0]) >= 0).all()
    assert lines.block_types[ids[0]] == "header" and lines.block_types[ids[-1]] == "footer"
    # a paragraph never spans two blocks
    for p in np.unique(lines.paragraph_ids):
        assert len(set(ids[lines.paragraph_ids == p].tolist())) == 1
    # the JSON carries the blocks: type, polygon, reading order; each line its block
    d = lines.to_dict()
    assert [b["order"] for b in d["blocks"]] == list(range(len(lines.block_types)))
    assert [b["type"] for b in d["blocks"]] == lines.block_types
    assert all(np.asarray(b["polygon"]).shape == (4, 2) for b in d["blocks"])
    assert [line["block"] for line in d["lines"]] == ids.tolist()
    # rows (receipts, forms) stay geometry only: the blocks are still found and reported
    rows = reader.predict(image, layout="rows")
    assert rows.block_types is not None and len(rows.block_types) == len(lines.block_types)


def test_columns_layout_never_bridges_a_narrow_gutter() -> None:
    """Two columns 1.2 line heights apart: under the 1.5 heights that joins a line's pieces, so
    joining first would read across the gutter; the columns are cut first."""
    left = [[0, 13 * i, 400, 13 * i + 10] for i in range(5)]
    right = [[412, 13 * i, 812, 13 * i + 10] for i in range(5)]
    boxes = np.asarray(left + right, np.float32)
    assert geometry_lines(boxes, "columns") == [[i] for i in range(10)]
