"""`foveal detect` end to end: JSON lines, --classes, --save, videos, bad files, unknown options."""

from __future__ import annotations

import json
import shutil

import pytest

from foveal.cli import main


def test_detect_json_save_and_bad_file(tmp_path, photos, capsys) -> None:
    folder = tmp_path / "imgs"
    folder.mkdir()
    shutil.copy(photos["coffee"], folder / "coffee.png")
    shutil.copy(photos["astronaut"], folder / "astronaut.png")
    (folder / "broken.jpg").write_bytes(b"garbage")
    out = tmp_path / "annotated"
    rc = main(
        ["detect", str(folder), "--json", "--save", str(out), "--no-progress", "--conf", "0.3"]
    )
    captured = capsys.readouterr()
    assert rc == 1  # one file was skipped
    records = [json.loads(line) for line in captured.out.splitlines()]
    by_name = {r["source"].rsplit("/", 1)[-1]: r for r in records}
    assert set(by_name) == {"coffee.png", "astronaut.png"}
    assert "cup" in [d["name"] for d in by_name["coffee.png"]["detections"]]
    assert "person" in [d["name"] for d in by_name["astronaut.png"]["detections"]]
    assert "broken.jpg" in captured.err
    assert sorted(p.name for p in out.iterdir()) == ["astronaut.png", "coffee.png"]


def test_detect_classes_text_output(photos, capsys) -> None:
    assert main(["detect", str(photos["coffee"]), "--classes", "cup"]) == 0
    out = capsys.readouterr().out
    assert "cup" in out and "dining table" not in out


def test_unknown_class_is_a_clear_error(photos, capsys) -> None:
    assert main(["detect", str(photos["coffee"]), "--classes", "person,teacup"]) == 2
    err = capsys.readouterr().err
    assert "unknown class name(s) 'teacup'" in err and "Valid names: person" in err


def test_video_frames_and_saved_clip(shared, tmp_path, capsys) -> None:
    video = shared / "data" / "video" / "vtest.avi"
    assert (
        main(
            [
                "detect",
                str(video),
                "--every",
                "300",
                "--json",
                "--save",
                str(tmp_path),
                "--classes",
                "person",
            ]
        )
        == 0
    )
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["frame"] for r in records] == [0, 300, 600]
    assert all(r["detections"] for r in records)
    import av
    import cv2

    saved = tmp_path / "vtest.mp4"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vtest.mp4"]  # no temporary file left
    with av.open(str(saved)) as container:  # H.264 in yuv420p: what browsers play
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.width, stream.height) == (768, 576)
        assert abs(float(stream.average_rate) - 10.0 / 300) < 1e-3
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 3
    cap = cv2.VideoCapture(str(saved))  # OpenCV (and so foveal) reads it back too
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 3
    cap.release()


def test_unknown_option_and_bad_threshold(photos, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["detect", str(photos["coffee"]), "--confidence", "0.3"])
    assert main(["detect", str(photos["coffee"]), "--iou", "2"]) == 2
    assert "iou" in capsys.readouterr().err
