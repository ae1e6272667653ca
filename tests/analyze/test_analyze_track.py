"""`foveal analyze --track`: video frames' records gain track IDs that last across frames."""

from __future__ import annotations

import json
from collections import Counter

from foveal.cli import main
from foveal.io import iter_video
from foveal.io.video import write_video


def test_track_ids_in_video_records_and_missing_detect_task(shared, tmp_path, capsys) -> None:
    frames = []
    for i, frame in iter_video(shared / "data" / "video" / "vtest.avi"):
        frames.append(frame)
        if i == 9:
            break
    clip = write_video(tmp_path / "walk.mp4", frames, fps=10)
    out = tmp_path / "out"
    args = ["analyze", str(clip), "--tasks", "detect", "--track", "--all-frames"]
    assert main([*args, "--out", str(out), "--no-progress"]) == 0
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    assert [r["frame"] for r in records] == list(range(10))
    ids = Counter(t["id"] for r in records for t in r["track"]["tracks"])
    assert len([i for i, n in ids.items() if n >= 9]) >= 3  # several people, tracked throughout
    first = records[5]["track"]["tracks"][0]
    assert set(first) == {"id", "box", "score", "class_id", "name"}
    capsys.readouterr()
    assert main(["analyze", str(clip), "--tasks", "classify", "--track", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "foveal: error: --track links the detect task's boxes: add detect to --tasks"
