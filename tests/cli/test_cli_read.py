"""foveal read / foveal eval ocr, and foveal.read_text."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from foveal.cli import main
from foveal.evaluate.ocr import cer


@pytest.fixture(scope="module")
def pages(shared):
    return shared / "data" / "ocr" / "pages"


def test_read_text_verb(pages) -> None:
    import foveal

    lines = foveal.read_text(pages / "phototest.tif")
    gold = (pages / "phototest.gold.txt").read_text()
    assert cer(lines.text, gold) <= 0.02
    d = lines.to_dict()
    assert d["text"] == lines.text and len(d["lines"]) == len(lines)


def test_cli_read_json_pdf_and_save(pages, tmp_path, capsys) -> None:
    # a two-page PDF made from the scans (PIL writes PDFs), plus an image
    pdf = tmp_path / "scan.pdf"
    a = Image.open(pages / "phototest.tif").convert("RGB")
    b = Image.fromarray(np.full((200, 300, 3), 255, np.uint8))
    a.save(pdf, save_all=True, append_images=[b], resolution=200)
    out = tmp_path / "annotated"
    rc = main(["read", str(pdf), str(pages / "phototest.tif"), "--json", "--save", str(out)])
    assert rc == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r.get("page") for r in records] == [1, 2, None]
    gold = (pages / "phototest.gold.txt").read_text()
    assert cer(records[0]["text"], gold) <= 0.02
    assert records[1]["lines"] == []
    assert sorted(p.name for p in out.iterdir()) == ["phototest.png", "scan-p1.png", "scan-p2.png"]


def test_cli_read_reports_bad_files(pages, tmp_path, capsys) -> None:
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    badpdf = tmp_path / "broken.pdf"
    badpdf.write_bytes(b"%PDF-1.4 nonsense")
    rc = main(["read", str(bad), str(badpdf), str(pages / "phototest-rotated-R.png")])
    captured = capsys.readouterr()
    assert rc == 1
    assert "lazy fox" in captured.out
    assert "broken.png" in captured.err and "broken.pdf" in captured.err


def test_cli_read_rejects_unknown_options(pages) -> None:
    with pytest.raises(SystemExit):
        main(["read", str(pages / "phototest.tif"), "--frobnicate"])


def test_cli_eval_ocr(pages, capsys) -> None:
    rc = main(["eval", "ocr", str(pages / "phototest.tif"), str(pages / "eurotext.tif"), "--json"])
    assert rc == 0
    report = json.loads(capsys.readouterr().out)
    by_name = {p["source"].rsplit("/", 1)[-1]: p for p in report["pages"]}
    assert by_name["phototest.tif"]["cer"] <= 0.02
    assert by_name["eurotext.tif"]["cer"] <= 0.03
    assert (
        report["total"]["chars"]
        == by_name["phototest.tif"]["chars"] + by_name["eurotext.tif"]["chars"]
    )


def test_cli_eval_ocr_needs_transcripts(tmp_path) -> None:
    Image.fromarray(np.full((20, 20, 3), 255, np.uint8)).save(tmp_path / "x.png")
    assert main(["eval", "ocr", str(tmp_path)]) == 2


def test_read_text_verb_gives_one_result_per_pdf_page(pages, tmp_path) -> None:
    import foveal
    from foveal.results import TextLines

    pdf = tmp_path / "scan.pdf"
    a = Image.open(pages / "phototest.tif").convert("RGB")
    b = Image.fromarray(np.full((200, 300, 3), 255, np.uint8))
    a.save(pdf, save_all=True, append_images=[b], resolution=200)
    results = foveal.read_text(pdf)
    assert isinstance(results, list) and [type(r) for r in results] == [TextLines, TextLines]
    gold = (pages / "phototest.gold.txt").read_text()
    assert cer(results[0].text, gold) <= 0.02 and len(results[1]) == 0


def test_cli_read_layout_rows_and_bad_layout(shared, capsys) -> None:
    receipt = shared / "data" / "ocr" / "receipts" / "101.jpg"
    assert main(["read", str(receipt), "--layout", "rows"]) == 0
    out = capsys.readouterr().out
    assert any(line.startswith("Doc No") and "CS00011926" in line for line in out.splitlines())
    with pytest.raises(SystemExit):
        main(["read", str(receipt), "--layout", "grid"])
    assert "invalid choice: 'grid'" in capsys.readouterr().err


def test_cli_read_blocks_in_json_and_drawn(shared, tmp_path, capsys) -> None:
    page = shared / "data" / "ocr" / "pages" / "phototest.tif"
    assert main(["read", str(page), "--blocks", "--json", "--save", str(tmp_path)]) == 0
    record = json.loads(capsys.readouterr().out.splitlines()[0])
    assert record["blocks"] and {b["type"] for b in record["blocks"]} <= {"text", "title"}
    assert all(line["block"] >= 0 for line in record["lines"])
    assert (tmp_path / "phototest.png").is_file()
