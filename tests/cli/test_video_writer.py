"""foveal.io.video writing: H.264 MP4s that browsers play, written atomically."""

from __future__ import annotations

import av
import numpy as np
import pytest

from foveal.errors import ConfigError, ImageError
from foveal.io import iter_video
from foveal.io.video import VideoWriter, check_h264, write_video


def frames(n: int, h: int, w: int) -> list[np.ndarray]:
    """A bright square moving right on grey: every frame differs."""
    out = []
    for i in range(n):
        f = np.full((h, w, 3), 90, np.uint8)
        f[h // 4 : h // 2, 4 * i : 4 * i + 8] = (250, 40, 40)
        out.append(f)
    return out


def test_h264_odd_size_padded_and_read_back(tmp_path) -> None:
    clip = frames(12, 61, 81)
    path = write_video(tmp_path / "clip.mp4", clip, fps=12.5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.width, stream.height) == (82, 62)  # yuv420p needs even sizes
        assert float(stream.average_rate) == 12.5
    back = list(iter_video(path))  # foveal's own reader (OpenCV) decodes it
    assert len(back) == 12
    first = back[0][1][:61, :81].astype(int)
    assert np.abs(first - clip[0]).mean() < 4  # lossy, but the picture is kept
    red = back[5][1][61 // 4 + 3, 4 * 5 + 4]
    assert red[0] > 200 and red[1] < 90


def test_nothing_left_when_writing_fails(tmp_path) -> None:
    dest = tmp_path / "clip.mp4"
    with pytest.raises(ImageError, match="frame 2 is 40x30, the video is 80x60"):
        with VideoWriter(dest, fps=10) as writer:
            for f in [*frames(2, 60, 80), np.zeros((30, 40, 3), np.uint8)]:
                writer.write(f)
    assert list(tmp_path.iterdir()) == []  # neither the video nor its temporary file
    with pytest.raises(ImageError, match="no frames to write"):
        write_video(dest, [], fps=10)
    assert list(tmp_path.iterdir()) == []


def test_bad_frames_and_fps_are_clear(tmp_path) -> None:
    with pytest.raises(ConfigError, match="fps must be positive, got 0"):
        VideoWriter(tmp_path / "a.mp4", fps=0)
    with VideoWriter(tmp_path / "b.mp4", fps=10) as writer:
        with pytest.raises(ImageError, match="H x W x 3 RGB, got shape \\(60, 80\\)"):
            writer.write(np.zeros((60, 80), np.uint8))
        writer.write(frames(1, 60, 80)[0])
    assert (tmp_path / "b.mp4").is_file()


def test_missing_h264_encoder_is_said_in_one_line(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(av, "codecs_available", av.codecs_available - {"libx264"})
    with pytest.raises(ConfigError) as err:
        check_h264(tmp_path / "out")
    msg = str(err.value)
    assert "\n" not in msg and "H.264 encoding (libx264) is not available" in msg
    assert "pip install --force-reinstall av" in msg
    with pytest.raises(ConfigError, match="libx264"):
        VideoWriter(tmp_path / "c.mp4", fps=10)
    assert list(tmp_path.iterdir()) == []


def test_detect_save_without_h264_stops_before_any_work(shared, tmp_path, monkeypatch, capsys):
    from foveal.cli import main

    monkeypatch.setattr(av, "codecs_available", av.codecs_available - {"libx264"})
    video = shared / "data" / "video" / "vtest.avi"
    out = tmp_path / "annotated"
    assert main(["detect", str(video), "--save", str(out), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # not one frame was processed
    err = captured.err.strip()
    assert "\n" not in err and "H.264 encoding (libx264) is not available" in err
    assert not out.exists()
