"""`foveal track` and `foveal eval track` end to end on a real clip (the first frames of the
OpenCV pedestrian video), and the `foveal.track` verb; bad videos are skipped with one line."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import numpy as np
import pytest

import foveal
from foveal.cli import main
from foveal.io import iter_video
from foveal.io.video import video_codec, video_step, write_video
from foveal.tracking import read_mot


@pytest.fixture(scope="module")
def clip(shared, tmp_path_factory):
    """20 frames of vtest.avi as an H.264 MP4 at 10 fps."""
    frames = []
    for i, frame in iter_video(shared / "data" / "video" / "vtest.avi"):
        frames.append(frame)
        if i == 19:
            break
    return write_video(tmp_path_factory.mktemp("clip") / "walk.mp4", frames, fps=10)


def test_folder_of_videos_json_video_out_and_bad_files(clip, tmp_path, capsys) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copy(clip, folder / "walk.mp4")
    (folder / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(200)))
    (folder / "empty.avi").write_bytes(b"")
    out = tmp_path / "out"
    args = ["track", str(folder), "--json", "--out", str(out), "--classes", "person"]
    rc = main([*args, "--line", "0,250,768,250", "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 1  # two videos skipped, the good one processed
    records = [json.loads(line) for line in captured.out.splitlines()]
    frames = [r for r in records if "tracks" in r]
    assert [r["frame"] for r in frames] == list(range(20))
    assert all(r["source"].endswith("walk.mp4") for r in frames)
    track = frames[10]["tracks"][0]
    assert set(track) == {"id", "box", "score", "class_id", "name"} and track["name"] == "person"
    lengths = Counter(t["id"] for r in frames for t in r["tracks"])
    assert max(lengths.values()) >= 18  # people keep their IDs from frame to frame
    assert "counts" in frames[-1]
    summary = records[-1]["summary"]
    assert summary["frames"] == 20 and summary["tracks"] == len(lengths)
    assert summary["line"] == [0.0, 250.0, 768.0, 250.0]
    err = captured.err.strip().splitlines()
    assert len(err) == 2, err  # one line per bad video
    assert any("broken.mp4" in line and "could not be opened" in line for line in err)
    assert any("empty.avi is empty (0 bytes)" in line for line in err)
    assert video_codec(out / "walk.mp4") == "h264"
    assert sum(1 for _ in iter_video(out / "walk.mp4")) == 20


def test_mot_output_with_stride_scores_perfectly_against_itself(clip, tmp_path, capsys) -> None:
    mot = tmp_path / "walk.txt"
    assert main(["track", str(clip), "--mot", str(mot), "--stride", "2", "--no-progress"]) == 0
    text_out = capsys.readouterr().out
    assert "walk.mp4: 10 frame(s)" in text_out
    rows = read_mot(mot)
    assert sorted(set(rows[:, 0].astype(int))) == list(range(1, 21, 2))  # video frame numbers
    assert main(["eval", "track", str(mot), str(mot), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["HOTA"] == pytest.approx(1.0) and metrics["IDSW"] == 0


def test_verb_yields_tracks_per_frame_at_a_target_fps(clip) -> None:
    assert video_step(clip, fps=5) == 2  # the clip is 10 fps
    frames = list(foveal.track(clip, fps=5, classes="person"))
    assert [t.index for t in frames] == list(range(0, 20, 2))
    assert all(isinstance(t, foveal.Tracks) and t.source == str(clip) for t in frames)
    ids = [set(t.track_ids.tolist()) for t in frames]
    assert len(ids[3] & ids[6]) >= 2
    assert all(np.all(t.class_ids == 0) for t in frames)


def test_verb_tracks_a_folder_of_frames_as_one_sequence(clip, tmp_path) -> None:
    from PIL import Image

    for i, frame in iter_video(clip, every=2):
        Image.fromarray(frame).save(tmp_path / f"frame{i:03d}.png")
    frames = list(foveal.track(tmp_path, classes="person"))
    assert len(frames) == 10 and frames[0].source.endswith("frame000.png")
    # the same pixels as the video at stride 2: the same tracks (one tracker across the files)
    video = list(foveal.track(clip, stride=2, classes="person"))
    assert [t.track_ids.tolist() for t in frames] == [t.track_ids.tolist() for t in video]
    assert max(Counter(i for t in frames for i in t.track_ids.tolist()).values()) == 10


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--line", "1,2,3"], "line '1,2,3' is not four numbers"),
        (["--max-age", "0"], "max_age is 0"),
        (["--fps", "-2"], "fps is -2.0; expected a positive frame rate"),
        (["--classes", "person,unicorn"], "unknown class name(s) 'unicorn'"),
    ],
)
def test_bad_options_are_one_line(clip, capsys, extra, message) -> None:
    assert main(["track", str(clip), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("foveal: error:") and message in err[0]


def test_corrupt_single_video_and_bad_mot_file(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 10)
    mot = tmp_path / "bad.txt"
    assert main(["track", str(bad), "--mot", str(mot), "--no-progress"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.mp4" in err[0]
    assert list(tmp_path.iterdir()) == [bad]  # no MOT file, no temporary file left
    gt = tmp_path / "gt.txt"
    gt.write_text("1,1,10,10,5,5\nframe,id\n")
    assert main(["eval", "track", str(gt), str(gt)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "gt.txt:2:" in err[0] and "not a MOTChallenge line" in err[0]
