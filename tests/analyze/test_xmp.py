"""XMP metadata: readable by Pillow and a standard XML parser, pixels and originals untouched."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import foveal
from foveal.analyze.xmp import MetadataError, write_metadata
from foveal.cli import main

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "mwg-rs": "http://www.metadataworkinggroup.com/schemas/regions/",
    "stArea": "http://ns.adobe.com/xmp/sType/Area#",
}
RECORD = {
    "source": "x",
    "width": 200,
    "height": 100,
    "classify": {"top": [{"class_id": 1, "name": "tabby <cat> & co", "score": 0.9}]},
    "faces": {
        "faces": [
            {"box": [20, 10, 60, 90], "score": 0.99, "landmarks": [[0, 0]] * 5, "name": "Ada"}
        ]
    },
    "ocr": {"text": "Total: 12 EUR", "lines": []},
}


def _xmp_of(path: Path) -> ET.Element:
    with Image.open(path) as im:
        raw = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
    assert raw, f"no XMP in {path}"
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    return ET.fromstring(
        raw[raw.index("<x:xmpmeta") : raw.index("</x:xmpmeta>") + len("</x:xmpmeta>")]
    )


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", ["rocket.jpg", "chelsea.png"])
def test_xmp_is_readable_and_pixels_unchanged(photo_dir: Path, tmp_path: Path, name: str) -> None:
    src = photo_dir / name
    before = _sha(src)
    out = write_metadata(src, RECORD, tmp_path / name)
    assert out == tmp_path / name and _sha(src) == before  # the original is untouched
    np.testing.assert_array_equal(foveal.load_image(out), foveal.load_image(src))
    root = _xmp_of(out)
    assert [li.text for li in root.iterfind(".//dc:subject/rdf:Bag/rdf:li", NS)] == [
        "tabby <cat> & co",
        "face",
        "Ada",
    ]
    assert root.find(".//dc:description/rdf:Alt/rdf:li", NS).text == "Total: 12 EUR"
    area = root.find(".//mwg-rs:RegionList/rdf:Bag/rdf:li/mwg-rs:Area", NS)
    got = [float(area.get(f"{{{NS['stArea']}}}{k}")) for k in "xywh"]
    assert got == pytest.approx([0.2, 0.5, 0.2, 0.8])
    # Writing again replaces the packet instead of adding a second one.
    again = write_metadata(out, {**RECORD, "ocr": {"text": "second"}}, out)
    assert _xmp_of(again).find(".//dc:description/rdf:Alt/rdf:li", NS).text == "second"
    assert out.read_bytes().count(b"<x:xmpmeta") == 1


def test_truncated_file_fails_cleanly_and_is_left_alone(photo_dir: Path, tmp_path: Path) -> None:
    data = (photo_dir / "chelsea.png").read_bytes()
    bad = tmp_path / "bad.png"
    bad.write_bytes(data[:200])
    with pytest.raises(MetadataError):
        write_metadata(bad, RECORD, bad)
    assert bad.read_bytes() == data[:200]
    assert [p.name for p in tmp_path.iterdir()] == ["bad.png"]  # no temporary file left behind


def test_other_formats_get_a_sidecar(tmp_path: Path) -> None:
    src = tmp_path / "a.bmp"
    Image.new("RGB", (20, 10), "red").save(src)
    side = write_metadata(src, RECORD, tmp_path / "copy" / "a.bmp")
    assert (
        side.name == "a.bmp.xmp" and (tmp_path / "copy" / "a.bmp").read_bytes() == src.read_bytes()
    )
    assert b"tabby" in side.read_bytes()


def test_cli_write_metadata_copies_by_default_and_in_place(photo_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for n in ("rocket.jpg", "coffee.png"):
        (src / n).write_bytes((photo_dir / n).read_bytes())
    before = {p.name: _sha(p) for p in src.iterdir()}
    out = tmp_path / "out"
    assert (
        main(
            [
                "analyze",
                str(src),
                "--tasks",
                "classify",
                "--out",
                str(out),
                "--no-progress",
                "--write-metadata",
            ]
        )
        == 0
    )
    assert {p.name: _sha(p) for p in src.iterdir()} == before
    recs = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    for rec in recs:
        tagged = Path(rec["metadata"])
        assert tagged.parent == out / "tagged"
        top = rec["classify"]["top"][0]["name"]
        assert _xmp_of(tagged).find(".//dc:subject/rdf:Bag/rdf:li", NS).text == top
    assert (
        main(
            [
                "analyze",
                str(src),
                "--tasks",
                "classify",
                "--out",
                str(out),
                "--no-progress",
                "--write-metadata",
                "--in-place",
                "--overwrite",
            ]
        )
        == 0
    )
    for p in src.iterdir():
        assert _sha(p) != before[p.name]
        np.testing.assert_array_equal(foveal.load_image(p), foveal.load_image(photo_dir / p.name))
        assert _xmp_of(p) is not None
