"""`foveal landmarks` end to end: JSON lines, annotated copies, videos, bad inputs."""

from __future__ import annotations

import json
import shutil

import numpy as np

from foveal.cli import main
from foveal.io import load_image
from foveal.io.video import write_video


def test_json_out_and_bad_files(tmp_path, shared, photos, capsys) -> None:
    folder = tmp_path / "imgs"
    folder.mkdir()
    shutil.copy(shared / "data/faces/people/test/obama1.jpg", folder / "obama1.jpg")
    shutil.copy(photos["coffee"], folder / "coffee.png")
    (folder / "broken.jpg").write_bytes(b"garbage")
    out = tmp_path / "out"
    rc = main(["landmarks", str(folder), "--json", "--out", str(out), "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 1  # one file skipped
    recs = {r["source"].rsplit("/", 1)[-1]: r for r in map(json.loads, captured.out.splitlines())}
    assert set(recs) == {"obama1.jpg", "coffee.png"}
    obama = recs["obama1.jpg"]
    assert len(obama["faces"]) == 1 and len(obama["faces"][0]["points"]) == 468
    assert len(obama["poses"]) == 1 and len(obama["poses"][0]["points"]) == 33
    assert obama["hands"] == [] and len(obama["faces"][0]["points"][0]) == 3
    assert recs["coffee.png"]["faces"] == recs["coffee.png"]["poses"] == []  # nobody: empty
    assert "broken.jpg" in captured.err and "Traceback" not in captured.err
    assert sorted(p.name for p in out.iterdir()) == ["coffee.png", "obama1.png"]


def test_video_is_tracked_and_written_as_h264(tmp_path, shared, capsys) -> None:
    import av

    img = load_image(shared / "data/faces/people/test/kit_with_rose.jpg")[::2, ::2]
    clip = write_video(tmp_path / "clip.mp4", [img, np.roll(img, 3, 1), np.roll(img, 6, 1)], 10)
    (tmp_path / "empty.mp4").write_bytes(b"")
    out = tmp_path / "out"
    args = ["landmarks", str(clip), str(tmp_path / "empty.mp4"), "--parts", "hands,face"]
    rc = main([*args, "--json", "--out", str(out), "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 1 and "empty.mp4" in captured.err and "Traceback" not in captured.err
    recs = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["frame"] for r in recs] == [0, 1, 2]
    assert all(len(r["faces"]) == 1 and r["poses"] == [] for r in recs)
    with av.open(str(out / "clip.mp4")) as c:
        assert c.streams.video[0].codec_context.name == "h264"
    assert sorted(p.name for p in out.iterdir()) == ["clip.mp4"]


def test_bad_parts_is_one_line(photos, capsys) -> None:
    assert main(["landmarks", str(photos["coffee"]), "--parts", "hand,feet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "hand, feet" in err and "hands, pose, face" in err


def test_threads_and_device(photos, capsys) -> None:
    assert main(["landmarks", str(photos["coffee"]), "--threads", "1", "--device", "auto"]) == 0
    assert capsys.readouterr().out.endswith(": 0 hand(s), 0 pose, 0 face(s)\n")
    assert main(["landmarks", str(photos["coffee"]), "--device", "cuda"]) == 2
    assert "LiteRT on the CPU" in capsys.readouterr().err
