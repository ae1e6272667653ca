"""OCR layout blocks in analyze's outputs (issue 13): the record carries them, the HTML report
draws them (type-coloured, numbered) on the page's picture and lists the text block by block."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import numpy as np
from PIL import Image

from foveal.cli import main
from foveal.viz.text import block_color


def _colour_pixels(rgb: np.ndarray, colour: tuple[int, int, int]) -> int:
    return int((np.abs(rgb.astype(int) - np.asarray(colour)).max(axis=2) < 40).sum())


def test_report_draws_and_lists_the_blocks(two_columns: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["analyze", str(two_columns), "--tasks", "ocr", "--out", str(out), "--no-progress"]
    assert main([*args, "--option", "ocr.blocks=ppocr_layout.cdla", "--html"]) == 0
    record = json.loads((out / "records.jsonl").read_text().splitlines()[0])
    ocr = record["ocr"]
    blocks = ocr["blocks"]
    assert len(blocks) >= 8 and [b["order"] for b in blocks] == list(range(len(blocks)))
    assert {"header", "text", "footer"} <= {b["type"] for b in blocks}
    assert all(len(b["polygon"]) == 4 for b in blocks)
    ids = [line["block"] for line in ocr["lines"]]
    runs = [b for k, b in enumerate(ids) if k == 0 or b != ids[k - 1]]

    page = (out / "report.html").read_text()
    # the text block by block, in reading order: one entry per run of lines of one block
    listed = re.findall(r"<div class='block' data-block='(-?\d+)'><b[^>]*>([^<]*)</b>", page)
    assert [int(b) for b, _ in listed] == runs
    assert listed[0][1] == f"1 {blocks[0]['type']}" and blocks[0]["type"] == "header"
    assert listed[-1][1].endswith("footer")
    first_line = ocr["lines"][0]["text"]
    assert page.index(first_line) < page.index(ocr["lines"][-1]["text"])
    assert f"blocks: {len(blocks)}" in page  # in the summary
    # the page's picture: blocks outlined in their type's colour, besides the lines
    uri = re.search(r"<img class='page' src='data:image/jpeg;base64,([^']+)'", page)
    assert uri is not None
    shown = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.group(1)))).convert("RGB"))
    assert max(shown.shape[:2]) == 480
    for kind in ("header", "text", "footer"):  # the page itself is grey: colour is drawing
        assert _colour_pixels(shown, block_color(kind)) > 30, kind


def test_report_without_blocks_keeps_plain_text(two_columns: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["analyze", str(two_columns), "--tasks", "ocr", "--out", str(out), "--no-progress"]
    assert main([*args, "--html"]) == 0
    record = json.loads((out / "records.jsonl").read_text().splitlines()[0])
    assert "blocks" not in record["ocr"] and "block" not in record["ocr"]["lines"][0]
    page = (out / "report.html").read_text()
    assert "class='block'" not in page and "<pre>" in page
