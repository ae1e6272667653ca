"""CLI habits: progress bars drawn on terminals only (pages, frames, images), --threads and
--device on inference commands."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys

import numpy as np
import onnxruntime as ort
import pytest
from PIL import Image

from foveal.cli import main


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, as an interactive shell's is."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def runtime_env(monkeypatch):
    """The CLI sets FOVEAL_THREADS/FOVEAL_DEVICE for its process: restored after each test."""
    monkeypatch.delenv("FOVEAL_THREADS", raising=False)
    monkeypatch.delenv("FOVEAL_DEVICE", raising=False)


def two_page_pdf(shared, tmp_path):
    pdf = tmp_path / "scan.pdf"
    page = Image.open(shared / "data" / "ocr" / "pages" / "phototest.tif").convert("RGB")
    blank = Image.fromarray(np.full((200, 300, 3), 255, np.uint8))
    page.save(pdf, save_all=True, append_images=[blank], resolution=200)
    return pdf


def test_read_progress_counts_pages_on_a_terminal(shared, tmp_path, capsys, monkeypatch) -> None:
    pdf = two_page_pdf(shared, tmp_path)
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["read", str(pdf), "--json"]) == 0
    bar = term.getvalue()
    assert "read" in bar and "2/2" in bar and "page" in bar
    assert [json.loads(line)["page"] for line in capsys.readouterr().out.splitlines()] == [1, 2]


def test_no_progress_bar_in_logs_or_with_no_progress(shared, tmp_path, capsys, monkeypatch):
    pdf = two_page_pdf(shared, tmp_path)
    assert main(["read", str(pdf), "--json"]) == 0  # stderr captured: not a terminal
    captured = capsys.readouterr()
    assert captured.err == ""
    assert len(captured.out.splitlines()) == 2
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["read", str(pdf), "--json", "--no-progress"]) == 0
    assert term.getvalue() == ""


def test_video_detection_progress_counts_frames(shared, capsys, monkeypatch) -> None:
    video = shared / "data" / "video" / "vtest.avi"  # 795 frames: every 300th is 0, 300, 600
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["detect", str(video), "--every", "300", "--json"]) == 0
    assert "3/3" in term.getvalue() and "frame" in term.getvalue()
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_faces_identify_and_eval_ocr_show_progress(shared, tmp_path, photos, monkeypatch):
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    gallery = tmp_path / "faces.db"
    rc = main(["faces", "identify", str(photos["astronaut"]), "--gallery", str(gallery)])
    assert rc == 0
    assert "faces identify" in term.getvalue() and "1/1" in term.getvalue()
    term.truncate(0)
    page = shared / "data" / "ocr" / "pages" / "phototest.tif"
    assert main(["eval", "ocr", str(page), "--json"]) == 0
    assert "eval ocr" in term.getvalue() and "1/1" in term.getvalue()


def test_threads_reach_onnx_runtime(photos, capsys, runtime_env) -> None:
    from foveal.runtime.onnx import OnnxModel

    rc = main(["classify", str(photos["coffee"]), "--threads", "1", "--device", "cpu", "--json"])
    assert rc == 0
    assert json.loads(capsys.readouterr().out)["top"][0]["name"] == "espresso"
    assert os.environ["FOVEAL_THREADS"] == "1" and os.environ["FOVEAL_DEVICE"] == "cpu"
    from foveal.tasks import TASKS

    clf = TASKS["classify"].load(model="mobilenet_v2.imagenet", threads=1)
    runner = clf.model.runner
    assert isinstance(runner, OnnxModel)
    assert runner.session.get_session_options().intra_op_num_threads == 1
    assert runner.session.get_providers() == ["CPUExecutionProvider"]


def test_bad_threads_is_one_line(photos, capsys, runtime_env) -> None:
    assert main(["detect", str(photos["coffee"]), "--threads", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--threads must be at least 1, got 0" in err


def test_device_cuda_and_auto(photos, capsys, runtime_env) -> None:
    cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    rc = main(["classify", str(photos["coffee"]), "--device", "cuda", "--json"])
    captured = capsys.readouterr()
    if cuda:
        assert rc == 0 and json.loads(captured.out)["top"][0]["name"] == "espresso"
    else:  # this ONNX Runtime is CPU only: said in one line, before any work
        assert rc == 2 and captured.out == ""
        err = captured.err.strip()
        assert err.count("\n") == 0
        assert "'cuda' is not available in this ONNX Runtime build" in err
        assert "--device cpu or auto" in err
    assert main(["classify", str(photos["coffee"]), "--device", "auto", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["top"][0]["name"] == "espresso"
    with pytest.raises(SystemExit):
        main(["classify", str(photos["coffee"]), "--device", "tpu"])


@pytest.mark.parametrize(
    "argv",
    [
        ["classify", "x.jpg"],
        ["detect", "x.jpg"],
        ["read", "x.jpg"],
        ["faces", "detect", "x.jpg"],
        ["faces", "identify", "x.jpg"],
        ["faces", "enroll", "ada", "x.jpg"],
        ["faces", "verify", "a.jpg", "b.jpg"],
        ["faces", "cluster", "x.jpg"],
        ["embed", "x.jpg", "--out", "f.npy"],
        ["index", "build", "x.jpg"],
        ["index", "search", "x.jpg"],
        ["eval", "classify", "data", "--model", "m.onnx"],
        ["eval", "detect", "data"],
        ["eval", "faces", "--verification", "people"],
        ["eval", "ocr", "x.jpg"],
        ["landmarks", "x.jpg"],
    ],
)
def test_every_inference_command_takes_threads_and_device(argv, capsys) -> None:
    from foveal.cli import build_parser

    args = build_parser().parse_args([*argv, "--threads", "3", "--device", "auto"])
    assert (args.threads, args.device) == (3, "auto")


def test_folder_of_images_and_a_video_and_a_glob_of_videos(shared, photos, tmp_path, capsys):
    import av

    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(photos["coffee"], folder / "coffee.png")
    shutil.copy(shared / "data" / "video" / "vtest.avi", folder / "walk.avi")
    out = tmp_path / "annotated"
    argv = [str(folder), "--every", "400", "--json", "--save", str(out), "--conf", "0.3"]
    assert main(["detect", *argv]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(os.path.basename(r["source"]), r.get("frame")) for r in records] == [
        ("coffee.png", None),
        ("walk.avi", 0),
        ("walk.avi", 400),
    ]
    assert sorted(p.name for p in out.iterdir()) == ["coffee.png", "walk.mp4"]
    with av.open(str(out / "walk.mp4")) as container:
        assert container.streams.video[0].codec_context.name == "h264"
    assert main(["detect", str(folder / "*.avi"), "--every", "400", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["frame"] for r in records] == [0, 400]
