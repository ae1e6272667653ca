"""Helpers of the hostile command-line tests: one-line error checks, a real photo folder, tiny
ONNX files."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper
from PIL import Image

from foveal.cli import main


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


def photo_folder(tmp_path: Path, photos: dict[str, Path]) -> Path:
    """A folder with two real photos (small copies, so the networks run fast)."""
    folder = tmp_path / "imgs"
    folder.mkdir()
    for name in ("coffee", "chelsea"):
        Image.open(photos[name]).convert("RGB").resize((96, 64)).save(folder / f"{name}.jpg")
    return folder


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
