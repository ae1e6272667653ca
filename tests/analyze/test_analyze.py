"""foveal analyze with the classify task: records, bad files, resume, video,
CSV/HTML/annotations."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

import foveal
from foveal.analyze.tasks import TaskUnavailableError, resolve_tasks, run_task
from foveal.cli import main
from foveal.tasks import TASKS, TaskSpec, register_task, unregister_task


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_records_match_the_verb_and_known_labels(photo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    rc = main(
        [
            "analyze",
            str(photo_dir),
            "--tasks",
            "classify",
            "--out",
            str(out),
            "--no-progress",
            "--batch-size",
            "3",
            "--top-k",
            "3",
        ]
    )
    assert rc == 0
    recs = {Path(r["source"]).stem: r for r in _records(out / "records.jsonl")}
    assert sorted(recs) == ["astronaut", "chelsea", "coffee", "rocket"]
    # ImageNet ground truth for these public photos: a cat, an espresso.
    assert recs["chelsea"]["classify"]["top"][0]["name"] in {"Egyptian cat", "tabby", "tiger cat"}
    assert recs["coffee"]["classify"]["top"][0]["name"] == "espresso"
    for stem, rec in recs.items():
        assert (rec["width"], rec["height"]) == foveal.load_image(rec["source"]).shape[1::-1]
        want = foveal.classify(rec["source"], top_k=3).to_dict()
        got = rec["classify"]
        assert [t["name"] for t in got["top"]] == [t["name"] for t in want["top"]], stem
        np.testing.assert_allclose(
            [t["score"] for t in got["top"]], [t["score"] for t in want["top"]], atol=1e-5
        )


def test_bad_files_are_reported_and_skipped(photo_dir: Path, tmp_path: Path, capsys) -> None:
    src = tmp_path / "in"
    src.mkdir()
    good = (photo_dir / "rocket.jpg").read_bytes()
    (src / "a_good.jpg").write_bytes(good)
    (src / "b_truncated.jpg").write_bytes(good[: len(good) // 3])
    (src / "c_not_image.jpg").write_text("hello, I am text")
    (src / "d_empty.png").write_bytes(b"")
    out = tmp_path / "out"
    rc = main(["analyze", str(src), "--tasks", "classify", "--out", str(out), "--no-progress"])
    assert rc == 1
    recs = {Path(r["source"]).name: r for r in _records(out / "records.jsonl")}
    assert "classify" in recs["a_good.jpg"] and "error" not in recs["a_good.jpg"]
    for bad in ("b_truncated.jpg", "c_not_image.jpg", "d_empty.png"):
        assert bad in recs[bad]["error"]
        assert "classify" not in recs[bad]
    err = capsys.readouterr().err
    assert "skipped" in err and "c_not_image.jpg" in err


def test_resume_continues_after_an_interrupted_run(photo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert (
        main(["analyze", str(photo_dir), "--tasks", "classify", "--out", str(out), "--no-progress"])
        == 0
    )
    full = (out / "records.jsonl").read_text().splitlines(keepends=True)
    assert len(full) == 4
    # An interrupted run: two records written, the third cut mid-line.
    (out / "records.jsonl").write_text("".join(full[:2]) + full[2][:25])
    assert (
        main(["analyze", str(photo_dir), "--tasks", "classify", "--out", str(out), "--no-progress"])
        == 2
    )
    assert (
        main(
            [
                "analyze",
                str(photo_dir),
                "--tasks",
                "classify",
                "--out",
                str(out),
                "--no-progress",
                "--resume",
                "--csv",
            ]
        )
        == 0
    )
    recs = _records(out / "records.jsonl")
    assert [r["source"] for r in recs] == [json.loads(line)["source"] for line in full]
    assert recs[:2] == [json.loads(line) for line in full[:2]]
    assert (
        len(list(csv.DictReader(open(out / "records.csv")))) == 2
    )  # only the resumed ones were new


def test_video_frames_sampled_by_fps(shared: Path, tmp_path: Path) -> None:
    video = shared / "data" / "video" / "vtest.avi"
    cap = cv2.VideoCapture(str(video))
    native, count = cap.get(cv2.CAP_PROP_FPS), int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    ok, first = cap.read()
    cap.release()
    assert ok and native == 10 and count == 795
    out = tmp_path / "out"
    assert (
        main(
            [
                "analyze",
                str(video),
                "--tasks",
                "classify",
                "--fps",
                "0.25",
                "--out",
                str(out),
                "--no-progress",
                "--top-k",
                "1",
                "--html",
                "--html-rows",
                "3",
            ]
        )
        == 0
    )
    page = (out / "report.html").read_text()
    assert (
        page.count("data:image/jpeg;base64,") == 3
        and "first 3 shown" in page
        and "#40 (4.0 s)" in page
    )
    recs = _records(out / "records.jsonl")
    assert [r["frame"] for r in recs] == list(range(0, count, 40))  # 10 fps / 0.25 fps = every 40th
    assert [r["time"] for r in recs] == [i / 10 for i in range(0, count, 40)]
    assert (recs[0]["width"], recs[0]["height"]) == (768, 576)
    assert recs[0]["classify"] == run_task(
        "classify", np.ascontiguousarray(first[..., ::-1]), top_k=1
    )


def test_csv_html_and_annotated_outputs(photo_dir: Path, text_page: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    rc = main(
        [
            "analyze",
            str(photo_dir / "chelsea.png"),
            str(photo_dir / "coffee.png"),
            str(text_page),
            "--tasks",
            "classify",
            "--out",
            str(out),
            "--no-progress",
            "--csv",
            "--html",
            "--annotate",
        ]
    )
    assert rc == 0
    rows = list(csv.DictReader(open(out / "records.csv", encoding="utf-8")))
    assert [Path(r["source"]).name for r in rows] == ["chelsea.png", "coffee.png", "page.png"]
    assert rows[1]["classify_label"] == "espresso"
    page = (out / "report.html").read_text()
    assert page.count("data:image/jpeg;base64,") == 3
    assert "espresso" in page and "<h2>Summary</h2>" in page
    assert "http://" not in page and "https://" not in page  # self-contained: loads nothing
    annotated = sorted((out / "annotated").iterdir())
    assert len(annotated) == 3
    for p in annotated:
        assert foveal.load_image(p).shape[2] == 3


def test_tasks_all_keeps_what_runs_and_names_what_does_not() -> None:
    ok, skipped = resolve_tasks("all")
    assert "classify" in ok
    assert set(ok) | set(skipped) == {"classify", "detect", "faces", "ocr"}
    for name, reason in skipped.items():
        assert name in reason or str(TASKS[name].default_model) in reason
    register_task(TaskSpec("fancy", "foveal.tasks.no_such_task:Fancy", "foveal.results:Faces", "?"))
    try:
        with pytest.raises(
            TaskUnavailableError,
            match=r"task 'fancy' cannot run: foveal.tasks.no_such_task:Fancy does not",
        ):
            resolve_tasks("classify,fancy")
    finally:
        unregister_task("fancy")


def test_unknown_task_and_option_are_errors(photo_dir: Path, tmp_path: Path, capsys) -> None:
    assert (
        main(["analyze", str(photo_dir), "--tasks", "classify,colour", "--out", str(tmp_path)]) == 2
    )
    assert "unknown task 'colour'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["analyze", str(photo_dir), "--no-such-option"])


def test_killed_run_resumes_without_gaps_or_duplicates(tmp_path: Path) -> None:
    """A real interruption: SIGKILL a running `foveal analyze`, then --resume."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from PIL import Image

    src = tmp_path / "in"
    src.mkdir()
    rng = np.random.default_rng(0)
    for i in range(60):
        Image.fromarray(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)).save(
            src / f"{i:03d}.png"
        )
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(Path(foveal.__file__).parents[1])}
    cmd = [
        sys.executable,
        "-m",
        "foveal",
        "analyze",
        str(src),
        "--tasks",
        "classify",
        "--out",
        str(out),
        "--no-progress",
        "--batch-size",
        "1",
        "--workers",
        "1",
    ]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)
    jsonl = out / "records.jsonl"
    deadline = time.monotonic() + 120
    while not (jsonl.exists() and jsonl.read_bytes().count(b"\n") >= 5):
        assert proc.poll() is None and time.monotonic() < deadline, (
            "analyze ended before it could be killed"
        )
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = jsonl.read_bytes().count(b"\n")
    assert 5 <= done_before < 60
    assert subprocess.run([*cmd, "--resume"], env=env, stderr=subprocess.DEVNULL).returncode == 0
    names = [Path(r["source"]).name for r in _records(jsonl)]
    assert names == [f"{i:03d}.png" for i in range(60)]  # each once, in order


def test_output_names_are_never_hidden_files() -> None:
    from foveal.analyze.run import safe_name

    assert safe_name(".venv/lib/x.png", suffix=".jpg") == "venv__lib__x.png.jpg"
    assert safe_name("photos/a.jpg", frame=3) == "photos__a.jpg__f0000003"


def test_pdf_pages_are_items_like_video_frames(shared: Path, tmp_path: Path) -> None:
    """A PDF in a folder or named directly: one record per page (its number, its text as
    ``read`` gives it), in the CSV and the report too; a resumed run skips every page."""
    from PIL import Image

    folder = tmp_path / "scans"
    folder.mkdir()
    page = Image.open(shared / "data" / "ocr" / "pages" / "phototest.tif").convert("RGB")
    blank = Image.fromarray(np.full((200, 300, 3), 255, np.uint8))
    page.save(folder / "scan.pdf", save_all=True, append_images=[blank], resolution=200)
    out = tmp_path / "out"
    argv = ["analyze", str(folder), "--tasks", "ocr", "--out", str(out), "--no-progress"]
    assert main([*argv, "--csv", "--html"]) == 0
    recs = _records(out / "records.jsonl")
    assert [(Path(r["source"]).name, r.get("page")) for r in recs] == [
        ("scan.pdf", 1),
        ("scan.pdf", 2),
    ]
    assert "frame" not in recs[0] and "error" not in recs[0]
    assert recs[0]["ocr"]["text"] == foveal.read_text(folder / "scan.pdf")[0].text
    assert recs[1]["ocr"]["text"] == ""  # the blank page
    rows = list(csv.DictReader(open(out / "records.csv", encoding="utf-8")))
    assert [r["page"] for r in rows] == ["1", "2"]
    report = (out / "report.html").read_text()
    assert "scan.pdf page 2" in report and report.count("data:image/jpeg;base64,") == 2
    assert main([*argv, "--resume"]) == 0
    assert len(_records(out / "records.jsonl")) == 2
