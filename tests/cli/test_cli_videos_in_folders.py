"""Videos inside folders (and named directly, or matched by a glob) are processed frame by frame by
`classify`, `embed`, `explain` and `index`, like `detect`: items `clip.mp4#N`, JSON lines with
`source` and `index`, corrupt or empty videos reported in one line while the rest goes on.

Real data: two hymenoptera ant photos and a 20-frame clip cut from OpenCV's vtest.avi."""

from __future__ import annotations

import json
import shutil
from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from foveal.cli import main
from foveal.io.video import iter_video, write_video

ANTS = ("0013035.jpg", "1030023514_aad5c608f9.jpg")


@pytest.fixture(scope="module")
def clip_frames(shared: Path) -> list[np.ndarray]:
    video = shared / "data" / "video" / "vtest.avi"
    return [frame for _, frame in islice(iter_video(video), 20)]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory, shared: Path, clip_frames) -> Path:
    """A folder: 2 ant photos, a 20-frame H.264 clip, a corrupt and an empty video."""
    folder = tmp_path_factory.mktemp("mixed")
    ants = shared / "data" / "classification" / "hymenoptera" / "train" / "ants"
    for name in ANTS:
        shutil.copy(ants / name, folder / name)
    write_video(folder / "clip.mp4", clip_frames, 10)
    (folder / "corrupt.avi").write_bytes(b"RIFF" + bytes(range(256)) * 8)
    (folder / "empty.mp4").write_bytes(b"")
    return folder


def _records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _items(records: list[dict]) -> list[tuple[str, int | None]]:
    """``(file name, frame index or None)`` of each JSON record, in output order."""
    return [(Path(r["source"]).name, r.get("index")) for r in records]


EVERY_10 = [(ANTS[0], None), (ANTS[1], None), ("clip.mp4", 0), ("clip.mp4", 10)]
"""What ``--every 10`` gives on the mixed folder: both photos, then frames 0 and 10 of the clip."""


def _skipped(err: str) -> set[str]:
    return {Path(r["skipped"]).name for r in _records(err) if "skipped" in r}


def test_classify_folder_gives_images_and_frames(mixed: Path, capsys) -> None:
    rc = main(["classify", str(mixed), "--every", "5", "--top-k", "1", "--json", "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 1  # two videos could not be read
    records = _records(captured.out)
    images = [r for r in records if "index" not in r]
    frames = [r for r in records if "index" in r]
    assert sorted(Path(r["source"]).name for r in images) == sorted(ANTS)
    assert all(r["top"][0]["name"] == "ant" for r in images)
    assert {Path(r["source"]).name for r in frames} == {"clip.mp4"}
    assert [r["index"] for r in frames] == [0, 5, 10, 15]
    assert _skipped(captured.err) == {"corrupt.avi", "empty.mp4"}
    assert "Traceback" not in captured.err


def test_classify_video_by_name_and_by_glob(mixed: Path, capsys) -> None:
    rc = main(["classify", str(mixed / "*.mp4"), "--every", "10", "--top-k", "1", "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 1  # empty.mp4 matches the glob too
    names = [line.split(":")[0] for line in captured.out.splitlines()]
    assert names == [f"{mixed / 'clip.mp4'}#0", f"{mixed / 'clip.mp4'}#10"]
    assert "empty.mp4 is empty (0 bytes)" in captured.err
    assert main(["classify", str(mixed / "clip.mp4"), "--every", "0"]) == 2
    assert "--every must be at least 1" in capsys.readouterr().err
    # --fps: a target rate; the clip was written at 10 frames per second, so 2 fps is every 5th
    args = ["classify", str(mixed / "clip.mp4"), "--fps", "2", "--top-k", "1", "--json"]
    assert main(args) == 0
    assert [r["index"] for r in _records(capsys.readouterr().out)] == [0, 5, 10, 15]
    assert main(["classify", str(mixed / "clip.mp4"), "--fps", "0"]) == 2
    assert "--fps must be a positive frame rate" in capsys.readouterr().err


def test_embed_folder_rows_for_frames(mixed: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "features.npy"
    rc = main(["embed", str(mixed), "--every", "5", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 1 and "corrupt.avi" in err and "empty.mp4" in err
    meta = json.loads(out.with_suffix(".meta.json").read_text())
    names = [Path(p).name for p in meta["paths"]]
    assert names == [*ANTS, "clip.mp4#0", "clip.mp4#5", "clip.mp4#10", "clip.mp4#15"]
    vectors = np.load(out)
    assert vectors.shape == (6, 1280)
    sims = vectors @ vectors.T  # rows are L2-normalised
    # frames of one street scene are closer to each other than to any ant photo
    assert sims[2:, 2:].min() > sims[2:, :2].max()

    # a vocabulary (bag of SIFT words) is learned from frames when no photo is given
    out = tmp_path / "sift.npy"
    args = ["embed", str(mixed / "clip.mp4"), "--extractor", "sift_bovw", "--every", "5"]
    assert main([*args, "--out", str(out), "--no-progress"]) == 0
    assert "fitting sift_bovw on 4 image(s)" in capsys.readouterr().err
    assert np.load(out).shape[0] == 4


def test_explain_folder_writes_a_heat_map_per_frame(mixed: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "cams"
    rc = main(["explain", str(mixed), "--every", "10", "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert rc == 1
    records = _records(captured.out)
    frames = [(Path(r["source"]).name, r["index"]) for r in records if "index" in r]
    assert frames == [("clip.mp4", 0), ("clip.mp4", 10)]
    assert sum("index" not in r for r in records) == 2
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{Path(a).stem}_gradcam.png" for a in ANTS]
        + ["clip-f0_gradcam.png", "clip-f10_gradcam.png"]
    )
    assert _skipped(captured.err) == {"corrupt.avi", "empty.mp4"}
    assert main(["explain", str(mixed / "clip.mp4"), "--out", str(tmp_path / "one.png")]) == 2
    assert "one PNG file" in capsys.readouterr().err


def test_index_frames_as_entries(mixed: Path, tmp_path: Path, clip_frames, capsys) -> None:
    from PIL import Image

    from foveal.features.index import ImageIndex

    index = tmp_path / "idx"
    rc = main(["index", "build", str(mixed), "--index", str(index), "--every", "5"])
    err = capsys.readouterr().err
    assert rc == 1 and "corrupt.avi" in err and "empty.mp4" in err
    with ImageIndex.open(index) as idx:
        names = sorted(Path(p).name for p in idx.paths())
    assert names == sorted([*ANTS, "clip.mp4#0", "clip.mp4#5", "clip.mp4#10", "clip.mp4#15"])

    query = tmp_path / "frame5.png"
    with ImageIndex.open(index) as idx:  # a decoded frame finds its own entry
        Image.fromarray(next(f for i, f in iter_video(mixed / "clip.mp4") if i == 5)).save(query)
        hits = idx.search(query, k=1)
    assert Path(hits[0].path).name == "clip.mp4#5" and hits[0].score > 0.99

    # near-duplicates among this video's frames only: one group, every sampled frame
    dupes = ["index", "dupes", str(mixed / "clip.mp4"), "--index", str(index), "--every", "5"]
    assert main([*dupes, "--threshold", "0.7", "--json", "--no-progress"]) == 0
    groups = _records(capsys.readouterr().out)
    assert [[Path(f["path"]).name for f in g["files"]] for g in groups] == [
        ["clip.mp4#0", "clip.mp4#10", "clip.mp4#15", "clip.mp4#5"]
    ]

    rc = main(["index", "build", str(mixed), "--index", str(index), "--every", "10"])
    err = capsys.readouterr().err
    assert "2 removed" in err  # frames 5 and 15 are no longer sampled
    with ImageIndex.open(index) as idx:
        assert sorted(Path(p).name for p in idx.paths() if "#" in p) == [
            "clip.mp4#0",
            "clip.mp4#10",
        ]
    moved = tmp_path / "clip.mp4"
    shutil.move(mixed / "clip.mp4", moved)  # a video gone from the folder takes its frames along
    try:
        main(["index", "build", str(mixed), "--index", str(index), "--every", "10"])
        capsys.readouterr()
        with ImageIndex.open(index) as idx:
            assert sorted(Path(p).name for p in idx.paths()) == sorted(ANTS)
    finally:
        shutil.move(moved, mixed / "clip.mp4")


@pytest.mark.parametrize("command", ["segment", "restore"])
def test_segment_and_restore_write_a_png_per_frame(
    command: str, mixed: Path, tmp_path: Path, capsys
) -> None:
    from PIL import Image

    out = tmp_path / command
    rc = main([command, str(mixed), "--every", "10", "--out", str(out), "--json", "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 1
    records = _records(captured.out)
    assert _items(records) == EVERY_10
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(
        [f"{Path(a).stem}.png" for a in ANTS] + ["clip-f0.png", "clip-f10.png"]
    )
    assert Image.open(out / "clip-f10.png").size == (768, 576)  # vtest's frame size
    assert _skipped(captured.err) == {"corrupt.avi", "empty.mp4"}


def test_faces_detect_samples_frames(mixed: Path, capsys) -> None:
    rc = main(["faces", "detect", str(mixed), "--every", "10", "--json", "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 1
    records = _records(captured.out)
    assert _items(records) == EVERY_10
    assert _skipped(captured.err) == {"corrupt.avi", "empty.mp4"}
