"""foveal analyze with every task of foveal.tasks.TASKS on real photos and a rendered page
(the real predictors and their models, no stand-ins)."""

from __future__ import annotations

import json
from pathlib import Path

from foveal.analyze.tasks import resolve_tasks
from foveal.cli import main


def test_every_task_is_available_after_merge() -> None:
    ok, skipped = resolve_tasks("all")
    assert ok == ["classify", "detect", "faces", "ocr"], skipped


def test_all_tasks_on_photos_and_a_rendered_page(
    photo_dir: Path, text_page: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    rc = main(
        [
            "analyze",
            str(photo_dir / "astronaut.png"),
            str(photo_dir / "chelsea.png"),
            str(text_page),
            "--tasks",
            "classify,detect,faces,ocr",
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
    recs = {
        Path(r["source"]).stem: r
        for r in map(json.loads, (out / "records.jsonl").read_text().splitlines())
    }
    astro, cat, page = recs["astronaut"], recs["chelsea"], recs["page"]
    for rec in recs.values():
        assert all("error" not in rec[t] for t in ("classify", "detect", "faces", "ocr")), rec
    # The astronaut photo (Eileen Collins): one person, one face where OpenCV's Haar cascade finds
    # it.
    import cv2

    haar = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    gray = cv2.cvtColor(cv2.imread(str(photo_dir / "astronaut.png")), cv2.COLOR_BGR2GRAY)
    ((hx, hy, hw, hh),) = haar.detectMultiScale(gray, 1.1, 5)
    assert "person" in [d["name"] for d in astro["detect"]["detections"]]
    assert len(astro["faces"]["faces"]) == 1
    x1, y1, x2, y2 = astro["faces"]["faces"][0]["box"]
    assert abs((x1 + x2) / 2 - (hx + hw / 2)) < 30 and abs((y1 + y2) / 2 - (hy + hh / 2)) < 30
    assert "cat" in [d["name"] for d in cat["detect"]["detections"]]
    text = page["ocr"]["text"].lower()
    for word in ("foveal", "reads", "offline", "invoice", "128.50"):
        assert word in text, text
    html = (out / "report.html").read_text()
    assert "person" in html and "128.50" in html
    assert len(list((out / "annotated").iterdir())) == 3
    tagged = (Path(astro["metadata"])).read_bytes()
    assert b"<rdf:li>person</rdf:li>" in tagged and b"<rdf:li>face</rdf:li>" in tagged
    assert b"mwg-rs:Regions" in tagged


def test_samples_main_job_runs_all_four_tasks(tmp_path: Path, capsys) -> None:
    from foveal.samples import main as samples_main

    assert samples_main(["--out", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    for task in ("classify:", "detect:", "faces:", "ocr:"):
        assert task in out
    assert "not run here" not in out


def test_web_page_draws_every_task(run_web_page, photos: dict[str, Path], tmp_path: Path) -> None:
    """The served page in headless Chromium, with all four tasks ticked, on the astronaut photo."""
    from foveal.serve.app import ServeSettings
    from foveal.serve.background import serve_in_thread

    with serve_in_thread(ServeSettings(timeout_s=120)) as url:
        page = run_web_page(url, photos["astronaut"], 512, 180_000)
        items = page.locator("#results li").all_inner_texts()
        shapes = int(page.get_attribute("#canvas", "data-shapes"))
        page.screenshot(path=str(tmp_path / "all_tasks.png"), full_page=True)
    assert any(i.startswith("object: person") for i in items), items
    assert sum(i.startswith("face:") for i in items) == 1, items
    assert shapes >= 3  # the label, a person box, a face box (plus any text)


def test_pixel_tasks_have_csv_columns(photo_dir: Path, tmp_path: Path) -> None:
    import csv

    out = tmp_path / "pixels"
    argv = ["analyze", str(photo_dir / "astronaut.png"), "--tasks", "segment,restore"]
    assert main([*argv, "--out", str(out), "--no-progress", "--csv", "--html"]) == 0
    (row,) = csv.DictReader(open(out / "records.csv", encoding="utf-8"))
    fractions = dict(part.rsplit(" ", 1) for part in row["segment_fractions"].split(";"))
    assert set(fractions) == {"background", "person"} and 0.05 < float(fractions["person"]) < 0.95
    assert 0 < float(row["restore_change"]) < 30  # a clean photo: the denoiser changes it little
    report = (out / "report.html").read_text()
    assert "person " in report and "mean change " in report and "{&#x27;" not in report
