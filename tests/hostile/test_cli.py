"""Hostile inputs through the command line: every one ends in a single clear line on stderr and
the documented exit status (2: refused before work, 1: nothing to do or inputs skipped), never a
traceback."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper
from PIL import Image

from foveal.cli import main
from foveal.errors import ConfigError
from foveal.train.config import read_run_config


def one_line(err: str) -> str:
    """The single stderr line of a refused command (asserts there is exactly one)."""
    assert "Traceback" not in err and "Exception ignored" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("foveal: error: "), err
    return lines[0]


def run_cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    rc = main([str(a) for a in args])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


@pytest.fixture()
def images(tmp_path: Path, photos: dict[str, Path]) -> Path:
    """A folder with two real photos (small copies, so the networks run fast)."""
    folder = tmp_path / "imgs"
    folder.mkdir()
    for name in ("coffee", "chelsea"):
        Image.open(photos[name]).convert("RGB").resize((96, 64)).save(folder / f"{name}.jpg")
    return folder


@pytest.fixture()
def a_file(tmp_path: Path) -> Path:
    f = tmp_path / "plain.txt"
    f.write_text("a regular file, not a folder")
    return f


def tiny_onnx(path: Path, meta: str | None = None, size: int = 8) -> Path:
    """A real, loadable ONNX graph (identity on 1x3xSIZExSIZE) with optional foveal metadata."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, size, size])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, size, size])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    if meta is not None:
        prop = model.metadata_props.add()
        prop.key, prop.value = "foveal", meta
    onnx.save(model, path)
    return path


# -- item 2: outputs that cannot be written are refused before any work -----------------------


OUTPUT_CASES = {
    "detect --save": ["detect", "{images}", "--save", "{out}/annotated"],
    "read --save": ["read", "{images}", "--save", "{out}/pages"],
    "embed --out": ["embed", "{images}", "--out", "{out}/features.npy"],
    "export -o": ["export", "mobilenet_v2.imagenet", "-o", "{out}/m.onnx"],
    "index build --index": ["index", "build", "{images}", "--index", "{out}/idx"],
    "explain --out": ["explain", "{images}", "--out", "{out}/cams"],
    "eval detect --plot": ["eval", "detect", "{images}", "--plot", "{out}/pr.png"],
    "eval classify --out": [
        *("eval", "classify", "{images}", "--model", "mobilenet_v2.imagenet"),
        *("--out", "{out}/report"),
    ],
    "train ocr --run-dir": ["train", "ocr", "--synthetic", "--run-dir", "{out}/run"],
    "train detect --run-dir": ["train", "detect", "{images}", "--run-dir", "{out}/run"],
    "data split OUT": ["data", "split", "{images}", "{out}/split"],
}


@pytest.mark.parametrize("case", sorted(OUTPUT_CASES))
def test_output_under_a_regular_file_is_one_line_before_work(
    case: str, images: Path, a_file: Path, capsys: pytest.CaptureFixture
) -> None:
    args = [a.format(images=images, out=a_file) for a in OUTPUT_CASES[case]]
    rc, out, err = run_cli(capsys, *args)
    line = one_line(err)
    assert rc == 2 and out == ""
    assert f"{a_file} is a file, not a folder" in line
    assert a_file.read_text() == "a regular file, not a folder"  # untouched


@pytest.mark.parametrize("case", sorted(OUTPUT_CASES))
def test_output_in_a_read_only_folder_is_one_line_before_work(
    case: str,
    images: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The tests run as root, for whom every folder is writable: the kernel's answer for a folder
    # with mode 555 as another user (or on a read-only mount) is simulated.
    ro = tmp_path / "readonly"
    ro.mkdir()
    real_access = os.access

    def access(path: object, mode: int, *a: object, **kw: object) -> bool:
        if Path(os.fspath(path)).resolve() == ro.resolve() and mode & os.W_OK:
            return False
        return real_access(path, mode, *a, **kw)

    monkeypatch.setattr(os, "access", access)
    args = [a.format(images=images, out=ro) for a in OUTPUT_CASES[case]]
    rc, out, err = run_cli(capsys, *args)
    line = one_line(err)
    assert rc == 2 and out == ""
    assert f"the folder {ro} is not writable" in line
    assert list(ro.iterdir()) == []


def test_output_check_comes_before_the_model_is_opened(
    images: Path, a_file: Path, capsys: pytest.CaptureFixture
) -> None:
    rc, _, err = run_cli(capsys, "detect", images, "--model", "nothere.onnx", "--save", a_file)
    assert rc == 2 and f"--save {a_file}" in one_line(err)


def test_export_to_a_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rc, _, err = run_cli(capsys, "export", "mobilenet_v2.imagenet", "-o", tmp_path)
    assert rc == 2 and "is a folder; give the name of the file to write" in one_line(err)


# -- item 11: a closed pipe ends the command quietly -------------------------------------------


def test_closed_pipe_exits_quietly(tmp_path: Path, photos: dict[str, Path]) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    small = Image.open(photos["coffee"]).convert("RGB").resize((64, 48))
    for i in range(40):
        small.save(folder / f"{i:02d}.jpg")
    proc = subprocess.Popen(
        [sys.executable, "-m", "foveal", "classify", str(folder), "--json", "--batch-size", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()  # like `| head -1`: read one line, then go away
    proc.stdout.close()
    err = proc.stderr.read().decode()
    rc = proc.wait(timeout=300)
    assert json.loads(first)["source"].endswith("00.jpg")
    assert rc == 141, err
    assert (
        "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err
    )


def test_closed_pipe_in_process(
    images: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    class ClosedPipe:
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["models", "list"]) == 141
    assert "Traceback" not in capsys.readouterr().err


# -- item 13: small things ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        (["classify", "x.jpg", "--bogus"], "usage: foveal classify"),
        (["index", "build", "x/", "--bogus"], "usage: foveal index build"),
        (["models", "import", "a", "b"], "usage: foveal models import"),
        (["train", "ocr", "--synthetic", "--bogus"], "usage: foveal train ocr"),
    ],
)
def test_usage_errors_show_the_sub_command_usage(
    args: list[str], usage: str, capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(args)
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert err.startswith(usage) and "usage: foveal [-h]" not in err
    assert "unrecognized arguments" in err and "Traceback" not in err


def test_abbreviated_options_are_not_accepted(images: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["classify", str(images), "--top", "2"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "unrecognized arguments: --top 2" in err
    with pytest.raises(SystemExit):
        main(["detect", str(images), "--con", "0.3"])  # not --conf


def test_skip_message_names_the_file_once(images: Path, capsys: pytest.CaptureFixture) -> None:
    bad = images / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 truncated jpeg")
    rc, out, err = run_cli(capsys, "classify", images, "--top-k", "1", "--no-progress")
    assert rc == 1 and out.count("\n") == 2  # the two good photos
    skipped = [line for line in err.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 1 and skipped[0].count("broken.jpg") == 1, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [
        ["classify", "{d}"],
        ["detect", "{d}"],
        ["embed", "{d}", "--out", "{tmp}/f.npy"],
        ["read", "{d}"],
        ["explain", "{d}", "--out", "{tmp}/cams"],
        ["index", "build", "{d}", "--index", "{tmp}/idx"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_empty_folder_exits_1_with_one_line(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no images here")
    rc, out, err = run_cli(capsys, *(a.format(d=empty, tmp=tmp_path) for a in args))
    assert rc == 1 and out == ""
    assert "no images" in one_line(err) and str(empty) in err


def test_models_import_of_a_folder_says_so(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rc, _, err = run_cli(capsys, "models", "import", tmp_path)
    assert rc == 2 and f"{tmp_path} is a folder" in one_line(err)
    rc, _, err = run_cli(capsys, "models", "import", tmp_path / "none.pth")
    assert rc == 2 and "no such weights file" in one_line(err)


@pytest.mark.parametrize("name", ["missing.onnx", "sub/missing.onnx", "weights.pth"])
def test_missing_model_file_is_not_called_a_zoo_name(
    name: str, images: Path, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    rc, _, err = run_cli(capsys, "classify", images, "--model", name)
    line = one_line(err)
    assert rc == 2 and "no such model file" in line and "in the zoo" not in line


def test_explain_reports_skipped_images_on_stderr(
    images: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (images / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n nothing more")
    rc, out, err = run_cli(capsys, "explain", images, "--out", tmp_path / "cams")
    assert rc == 1
    assert not any(line.startswith("skipped") for line in out.splitlines())
    assert "broken.png" not in out and out.count("->") == 2
    assert [line for line in err.splitlines() if "broken.png" in line][0].startswith("skipped")
    assert len(list((tmp_path / "cams").glob("*.png"))) == 2


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


def test_good_outputs_still_work(images: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "new" / "deeper" / "annotated"
    rc, stdout, _ = run_cli(capsys, "detect", images, "--save", out, "--no-progress")
    assert rc == 0 and stdout.count("\n") == 2
    assert sorted(p.name for p in out.iterdir()) == ["chelsea.jpg", "coffee.jpg"]
