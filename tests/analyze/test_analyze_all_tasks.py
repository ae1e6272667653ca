"""foveal analyze with detect, faces and OCR. These need foveal.api.detect / detect_faces / read_text,
which land with issues 3, 4 and 5: before those branches are merged, these tests fail (by design)."""

from __future__ import annotations

import json
from pathlib import Path

from foveal.analyze.tasks import resolve_tasks
from foveal.cli import main


def test_every_task_is_available_after_merge() -> None:
    ok, skipped = resolve_tasks("all")
    assert ok == ["classify", "detect", "faces", "ocr"], skipped


def test_all_tasks_on_photos_and_a_rendered_page(photo_dir: Path, text_page: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    rc = main(["analyze", str(photo_dir / "astronaut.png"), str(photo_dir / "chelsea.png"), str(text_page),
               "--tasks", "classify,detect,faces,ocr", "--out", str(out), "--no-progress",
               "--csv", "--html", "--annotate", "--write-metadata"])
    assert rc == 0
    recs = {Path(r["source"]).stem: r for r in map(json.loads, (out / "records.jsonl").read_text().splitlines())}
    astro, cat, page = recs["astronaut"], recs["chelsea"], recs["page"]
    for rec in recs.values():
        assert all("error" not in rec[t] for t in ("classify", "detect", "faces", "ocr")), rec
    # The astronaut photo (Eileen Collins): one person, one face in the upper middle of the frame.
    assert "person" in [d["name"] for d in astro["detect"]["detections"]]
    assert len(astro["faces"]["faces"]) == 1
    x1, y1, x2, y2 = astro["faces"]["faces"][0]["box"]
    assert 120 < (x1 + x2) / 2 < 300 and 40 < (y1 + y2) / 2 < 240
    assert "cat" in [d["name"] for d in cat["detect"]["detections"]]
    assert cat["faces"]["faces"] == []
    text = page["ocr"]["text"].lower()
    assert "foveal reads text offline" in text and "128.50" in text
    html = (out / "report.html").read_text()
    assert "person" in html and "foveal reads text" in html
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
