"""MediaPipe selfie segmentation through foveal's ONNX export, against the same .tflite run by
Google's TFLite runtime (ai-edge-litert); background removal and blur on a real photo."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from foveal.cli import main

BENCH = Path(__file__).resolve().parents[3] / "bench" / "segment_selfie_parity.py"


def _bench() -> object:
    spec = importlib.util.spec_from_file_location("segment_selfie_parity", BENCH)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def test_selfie_mask_matches_the_tflite_runtime(shared: Path) -> None:
    import foveal
    from foveal.io import load_image
    from foveal.tasks.segment.tflite import selfie_tflite

    rgb = load_image(shared / "data" / "faces" / "people" / "test" / "obama1.jpg")
    seg = foveal.segment(rgb, probabilities=True)
    ref = _bench().litert_mask(rgb, selfie_tflite())  # type: ignore[attr-defined]
    a, b = seg.class_map == 1, ref > 0.5
    assert (a & b).sum() / (a | b).sum() >= 0.99
    assert np.abs(seg.probabilities[1] - ref).max() < 1e-3
    assert seg.labels == ["background", "person"] and 0.2 < a.mean() < 0.6
    assert not a[0, 0] and a[rgb.shape[0] // 2, rgb.shape[1] // 2]  # corner: bg, centre: person


def test_cli_removes_and_blurs_the_background(
    shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    photo = tmp_path / "obama.jpg"
    Image.open(shared / "data" / "faces" / "people" / "test" / "obama1.jpg").reduce(4).save(photo)
    out = tmp_path / "out"
    rc = main(
        ["segment", str(photo), "--remove-background", "--blur-background", "--out", str(out)]
    )
    assert rc == 0 and "person" in capsys.readouterr().out
    cut = np.asarray(Image.open(out / "obama.cutout.png"))
    assert (
        cut.shape[2] == 4
        and cut[0, 0, 3] < 10
        and cut[cut.shape[0] // 2, cut.shape[1] // 2, 3] > 245
    )
    blurred = np.asarray(Image.open(out / "obama.blurred.png")).astype(int)
    orig = np.asarray(Image.open(photo).convert("RGB")).astype(int)
    h, w = orig.shape[:2]
    assert np.abs(blurred[h // 2, w // 2] - orig[h // 2, w // 2]).max() <= 3  # the person: sharp
    assert np.abs(blurred - orig).mean() > 1  # the background: changed
    mask = np.asarray(Image.open(out / "obama.png"))
    assert set(np.unique(mask)) <= {0, 255}


def test_cli_never_overwrites_an_input_or_an_earlier_output(
    shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Two inputs named x.png, and --out set to their own folder: every mask gets its own file
    and the inputs stay as they were."""
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    photo = Image.open(shared / "data" / "faces" / "people" / "test" / "obama1.jpg").reduce(8)
    photo.save(folder / "x.png")
    photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(folder / "sub" / "x.png")
    before = {p: p.read_bytes() for p in folder.rglob("*.png")}
    assert main(["segment", str(folder), "--out", str(folder), "--json"]) == 0
    records = map(json.loads, capsys.readouterr().out.splitlines())
    outputs = [Path(r["output"]).name for r in records]
    assert outputs == ["x-1.png", "x-2.png"]
    assert all(p.read_bytes() == data for p, data in before.items())
    for name in outputs:
        assert set(np.unique(np.asarray(Image.open(folder / name)))) <= {0, 255}


def test_pictures_without_out_go_to_the_current_folder(
    shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """The issue's own command: ``foveal segment photo.jpg --remove-background``."""
    photo = tmp_path / "in" / "photo.jpg"
    photo.parent.mkdir()
    Image.open(shared / "data" / "faces" / "people" / "test" / "obama1.jpg").reduce(8).save(photo)
    monkeypatch.chdir(tmp_path)
    assert main(["segment", str(photo), "--remove-background"]) == 0
    assert "-> photo.png" in capsys.readouterr().out
    assert Image.open(tmp_path / "photo.cutout.png").mode == "RGBA"
