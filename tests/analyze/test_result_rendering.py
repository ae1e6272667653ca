"""Every result type flows through analyze's outputs (JSONL, CSV, HTML, annotations, XMP) and the
service. The detect/faces/OCR tasks are replaced here (in the task table) by stand-in predictors
returning fixed results in the agreed formats (foveal.results); the real tasks are tested in
test_analyze_all_tasks.py."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

import foveal
from foveal.cli import main
from foveal.results import Detections, Faces, TextLines
from foveal.tasks import TASKS, register_task
from foveal.tasks.predictor import Predictor


def _detect(image, **kw):
    return Detections(
        np.array([[10, 20, 110, 220]]), np.array([0.9]), np.array([0]), ["person"], "stand-in"
    )


def _faces(image, **kw):
    lm = np.array([[[40, 60], [80, 60], [60, 80], [45, 100], [75, 100]]], np.float32)
    return Faces(np.array([[30, 40, 90, 120]]), np.array([0.95]), lm, model="stand-in")


def _text(image, **kw):
    poly = np.array([[[5, 5], [200, 5], [200, 30], [5, 30]]], np.float32)
    return TextLines(poly, ["Total: 12 EUR"], np.array([0.97]), model="stand-in")


class StandIn(Predictor):
    """A predictor whose result is fixed (``make`` gives it)."""

    make: Any = None

    def prepare(self, image: np.ndarray) -> None:
        return None

    def run(self, prepared: list[None], options: Any) -> list[Any]:
        return [type(self).make(None) for _ in prepared]


class DetectStandIn(StandIn):
    task, make = "detect", staticmethod(_detect)


class FacesStandIn(StandIn):
    task, make = "faces", staticmethod(_faces)


class TextStandIn(StandIn):
    task, make = "ocr", staticmethod(_text)


@pytest.fixture()
def stand_ins():
    saved = {n: TASKS[n] for n in ("detect", "faces", "ocr")}
    for name, cls in (
        ("detect", "DetectStandIn"),
        ("faces", "FacesStandIn"),
        ("ocr", "TextStandIn"),
    ):
        register_task(
            dataclasses.replace(saved[name], predictor=f"{__name__}:{cls}", init_options=())
        )
    yield
    for spec in saved.values():
        register_task(spec)


def test_outputs_carry_every_result_type(stand_ins, photo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    rc = main(
        [
            "analyze",
            str(photo_dir / "rocket.jpg"),
            "--tasks",
            "all",
            "--out",
            str(out),
            "--no-progress",
            "--csv",
            "--html",
            "--annotate",
            "--write-metadata",
        ]
    )
    assert rc == 0
    rec = json.loads((out / "records.jsonl").read_text())
    assert rec["detect"] == _detect(None).to_dict()
    assert rec["faces"] == _faces(None).to_dict()
    assert rec["ocr"]["text"] == "Total: 12 EUR"
    row = next(csv.DictReader(open(out / "records.csv")))
    assert (row["detect_count"], row["detect_labels"], row["faces_count"], row["ocr_text"]) == (
        "1",
        "person",
        "1",
        "Total: 12 EUR",
    )
    page = (out / "report.html").read_text()
    assert "person &times;1" in page and "1 face(s)" in page and "Total: 12 EUR" in page
    ann = foveal.load_image(next((out / "annotated").iterdir()))
    edge = ann[130:210, 10:12].astype(
        int
    )  # the left edge of the person box, drawn green (0, 200, 80)
    assert np.abs(edge - np.array([0, 200, 80])).mean() < 40
    tagged = Path(rec["metadata"]).read_bytes()
    for piece in (
        b"<rdf:li>person</rdf:li>",
        b"<rdf:li>face</rdf:li>",
        b"Total: 12 EUR",
        b"mwg-rs:Regions",
    ):
        assert piece in tagged


def test_service_returns_every_result_type(stand_ins, photo_dir: Path) -> None:
    from foveal.serve.background import serve_in_thread

    img = {"file": ("r.jpg", (photo_dir / "rocket.jpg").read_bytes())}
    with serve_in_thread() as url:
        assert (
            httpx.post(url + "/v1/detect", files=img).json()["detect"]["detections"][0]["name"]
            == "person"
        )
        assert len(httpx.post(url + "/v1/faces/detect", files=img).json()["faces"]["faces"]) == 1
        assert httpx.post(url + "/v1/ocr", files=img).json()["ocr"]["text"] == "Total: 12 EUR"
        body = httpx.post(url + "/v1/analyze", files=img, data={"tasks": "all"}, timeout=60).json()
        assert {"classify", "detect", "faces", "ocr"} <= set(body)


def test_web_page_draws_every_result_type(run_web_page, stand_ins, photo_dir: Path) -> None:
    from foveal.serve.background import serve_in_thread

    with serve_in_thread() as url:
        page = run_web_page(url, photo_dir / "rocket.jpg", 640, 120_000)
        items = page.locator("#results li").all_inner_texts()
        shapes = int(page.get_attribute("#canvas", "data-shapes"))
        green = page.evaluate(
            "() => Array.from(document.getElementById('canvas').getContext('2d')"
            ".getImageData(10, 150, 1, 1).data)"
        )
        # the OCR line (5,5)-(200,30) is labelled with its text just below it, in blue
        under = page.evaluate(
            "() => Array.from(document.getElementById('canvas').getContext('2d')"
            ".getImageData(5, 31, 100, 17).data)"
        )
        keep = Path(__file__).resolve().parents[2] / "out"
        keep.mkdir(exist_ok=True)
        page.screenshot(path=str(keep / "web_page_all_results.png"), full_page=True)
    assert (
        "object: person 0.90" in items and "face: 0.95" in items and "text: Total: 12 EUR" in items
    )
    assert shapes == 4  # person box, face box, text polygon, top label
    assert green[:3] == [0, 200, 80]
    pixels = np.array(under).reshape(-1, 4)[:, :3]
    blue = (np.abs(pixels - np.array([30, 120, 255])).sum(axis=1) < 30).mean()
    white = (pixels.min(axis=1) > 200).mean()  # the text's glyphs
    assert blue > 0.5 and white > 0.03, (blue, white)


def test_html_report_rows_are_compact_and_labels_legible(
    stand_ins, photo_dir: Path, tmp_path: Path
) -> None:
    import base64
    import io
    import re

    from PIL import Image
    from playwright.sync_api import sync_playwright

    from foveal.analyze.report import THUMB

    out = tmp_path / "out"
    args = ["analyze", str(photo_dir), "--tasks", "all", "--out", str(out), "--no-progress"]
    assert main([*args, "--html"]) == 0
    page_html = (out / "report.html").read_text()
    uris = re.findall(r"data:image/jpeg;base64,([A-Za-z0-9+/=]+)", page_html)
    assert len(uris) == 4
    thumb = Image.open(io.BytesIO(base64.b64decode(uris[0]))).convert("RGB")
    assert max(thumb.size) == THUMB
    # results are drawn at thumbnail size, so the top-class banner (bottom left, grey) keeps
    # a 12 px font: at least 12 rows of it, not the 4-6 of a full-size drawing shrunk
    rgb = np.asarray(thumb).astype(int)[-30:, :80]
    banner_rows = ((np.abs(rgb - 60).sum(axis=2) < 45).sum(axis=1) >= 30).sum()
    assert banner_rows >= 12, banner_rows

    browser_args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=browser_args)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto((out / "report.html").resolve().as_uri())
            rows = page.evaluate(
                "() => [...document.querySelectorAll('tr')].slice(1)"
                ".map((r) => r.getBoundingClientRect().height)"
            )
            sizes = page.evaluate(
                "() => [...document.querySelectorAll('td, th, .card')]"
                ".map((e) => parseFloat(getComputedStyle(e).fontSize))"
            )
            colours = page.evaluate(
                "() => [...document.querySelectorAll('td, th')]"
                ".map((e) => getComputedStyle(e).color)"
            )
            page.screenshot(path=str(tmp_path / "report.png"))
        finally:
            browser.close()
    assert len(rows) == 4 and max(rows) <= THUMB + 12, rows  # one thumbnail high, no more
    assert min(sizes) >= 13, sizes
    assert set(colours) == {"rgb(17, 17, 17)"}  # near-black text on white or light grey
