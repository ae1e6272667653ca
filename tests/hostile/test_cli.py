"""Hostile inputs through the command line: outputs that cannot be written, a closed pipe, usage
errors, empty folders. Every one ends in a single clear line on stderr and the documented exit
status (2: refused before work, 1: nothing to do or inputs skipped), never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from foveal.cli import main

from .cli_support import one_line, photo_folder, run_cli


@pytest.fixture()
def images(tmp_path: Path, photos: dict[str, Path]) -> Path:
    return photo_folder(tmp_path, photos)


@pytest.fixture()
def a_file(tmp_path: Path) -> Path:
    f = tmp_path / "plain.txt"
    f.write_text("a regular file, not a folder")
    return f


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
    "track --out": ["track", "{images}", "--out", "{out}/tracked.mp4"],
    "track --mot": ["track", "{images}", "--mot", "{out}/tracks.txt"],
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


def test_good_outputs_still_work(images: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "new" / "deeper" / "annotated"
    rc, stdout, _ = run_cli(capsys, "detect", images, "--save", out, "--no-progress")
    assert rc == 0 and stdout.count("\n") == 2
    assert sorted(p.name for p in out.iterdir()) == ["chelsea.jpg", "coffee.jpg"]
