"""Broken model files through the command line (garbage ONNX, missing or invalid metadata, a
model of another task, bad weights, pickled checkpoints, a corrupt run config on --resume): one
line naming the file and what is wrong, exit status 2, never a traceback."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest

from foveal.errors import ConfigError
from foveal.train.config import read_run_config

from .cli_support import one_line, photo_folder, run_cli, tiny_onnx


@pytest.fixture()
def images(tmp_path: Path, photos: dict[str, Path]) -> Path:
    return photo_folder(tmp_path, photos)


# -- item 3: garbage model files, one line naming the file -------------------------------------


def meta(**kw: object) -> str:
    return json.dumps({"name": "m", **kw})


MODEL_FILES = {
    "garbage.onnx": (lambda p: p.write_bytes(b"not a protobuf \x00\xff" * 8), "is not an ONNX"),
    "empty.onnx": (lambda p: p.write_bytes(b""), "is not an ONNX"),
    "nometa.onnx": (lambda p: tiny_onnx(p), "has no foveal metadata"),
    "badjson.onnx": (lambda p: tiny_onnx(p, "{not json"), "not valid JSON"),
    "notask.onnx": (lambda p: tiny_onnx(p, meta()), "names no task"),
    "list.onnx": (lambda p: tiny_onnx(p, "[1, 2]"), "is a list, not an object"),
    "badpre.onnx": (
        lambda p: tiny_onnx(p, meta(task="classify", preprocess={"bogus": 1})),
        "bad foveal metadata",
    ),
    "badlabels.onnx": (
        lambda p: tiny_onnx(p, meta(task="classify", labels=5)),
        "bad foveal metadata",
    ),
    "wrongtask.onnx": (
        lambda p: tiny_onnx(p, meta(task="detect", labels=["a"])),
        "is a detect model; expected a classify model",
    ),
    "mismatch.onnx": (
        lambda p: tiny_onnx(p, meta(task="classify", labels=["a", "b", "c"])),
        "metadata does not fit its network",
    ),
}


@pytest.mark.parametrize("name", sorted(MODEL_FILES))
def test_classify_with_a_broken_model_file(
    name: str, images: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    make, expected = MODEL_FILES[name]
    path = tmp_path / name
    make(path)
    rc, out, err = run_cli(capsys, "classify", images, "--model", path, "--no-progress")
    line = one_line(err)
    assert rc == 2 and out == ""
    assert name in line and expected in line, line


def test_detect_with_garbage_onnx_and_wrong_task(
    images: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(os.urandom(2048))
    rc, _, err = run_cli(capsys, "detect", images, "--model", garbage)
    assert rc == 2 and "garbage.onnx is not an ONNX model" in one_line(err)
    rc, _, err = run_cli(capsys, "detect", images, "--model", "mobilenet_v2.imagenet")
    assert rc == 2 and "is a classify model, not a detect model" in one_line(err)
    clf = tiny_onnx(tmp_path / "clf.onnx", meta(task="classify", labels=["a"]))
    rc, _, err = run_cli(capsys, "detect", images, "--model", clf)
    assert rc == 2 and "is a classify model; expected a detect model" in one_line(err)


def test_run_folders_that_are_not_runs(
    images: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    rc, _, err = run_cli(capsys, "classify", images, "--model", run)
    assert rc == 2 and "is a folder without model.onnx" in one_line(err)
    (run / "model.onnx").write_bytes(b"half a file")
    rc, _, err = run_cli(capsys, "classify", images, "--model", run)
    assert rc == 2 and "model.onnx is not an ONNX model" in one_line(err)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bad.safetensors", b"\x10\x00\x00\x00\x00\x00\x00\x00{garbage}", "not a readable"),
        ("bad.pth", b"not a zip and not a pickle", "not a plain PyTorch state dict"),
        ("evil.pth", pickle.dumps(print), "not a plain PyTorch state dict"),
    ],
)
def test_bad_weights_files_are_one_line(
    name: str, content: bytes, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    weights = tmp_path / name
    weights.write_bytes(content)
    out = tmp_path / "m.onnx"
    rc, _, err = run_cli(capsys, "export", "mobilenet_v2.imagenet", "-o", out, "--weights", weights)
    line = one_line(err)
    assert rc == 2 and name in line and expected in line
    assert "weights_only" not in line and "trust" not in line  # torch's advice stays out
    assert not out.exists()


def test_pickled_checkpoint_for_init_from(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import torch

    class Evil:
        def __reduce__(self):
            return (print, ("executed!",))

    evil = tmp_path / "evil.pt"
    torch.save({"model": Evil()}, evil)
    rc, out, err = run_cli(
        capsys,
        "train", "ocr", "--synthetic", "--init-from", evil, "--run-dir", tmp_path / "run",
        "--epochs", "1", "--train-size", "8", "--val-size", "8", "--no-progress",
    )  # fmt: skip
    line = one_line(err)
    assert rc == 2 and "evil.pt could not be read as a checkpoint" in line
    assert "weights_only" not in line and "executed!" not in out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"train": {"epochs": ', "is not valid JSON"),
        ("[1, 2]", "has no 'train' options object"),
        ('{"train": {"epochs": "ten"}}', "holds invalid training options"),
        ('{"train": {"epochs": 3, "warp": 9}}', "unknown training option(s) warp"),
        (b"\xff\xfe\x00garbage", "is not valid JSON"),
    ],
)
def test_corrupt_run_config_on_resume(
    content: str | bytes, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.pt").write_bytes(b"x")
    config = run / "config.json"
    config.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ConfigError, match="config.json"):
        read_run_config(config)
    rc, _, err = run_cli(
        capsys, "train", "ocr", "--synthetic", "--run-dir", run, "--resume", "--no-progress"
    )
    line = one_line(err)
    assert rc == 2 and str(config) in line and expected in line
    assert sorted(p.name for p in run.rglob("*")) == ["checkpoints", "config.json", "last.pt"]


def test_unreadable_run_config(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.mkdir()  # a folder where the file should be: reading it fails like a permission error
    with pytest.raises(ConfigError, match="cannot be read"):
        read_run_config(config)


def test_a_run_config_that_is_fine_is_returned(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"train": {"epochs": 3, "lr": 0.01}, "recipe": {}}))
    assert read_run_config(config)["train"]["epochs"] == 3
