"""`foveal models pack DIR`: every zoo model's inference file in one folder, which open_model uses
before (and instead of) the weights and an export; without PyTorch, one line saying what to do."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from foveal import zoo
from foveal.cli import main
from foveal.errors import ConfigError, WeightsNotFoundError
from foveal.runtime import open as runtime_open
from foveal.runtime.open import exported_onnx, open_model, packed_name, packed_onnx
from foveal.runtime.pack import pack_models
from foveal.tasks.classify.predict import Classifier
from foveal.tasks.faces.export import export_dlib_onnx

MOBILENET = zoo.get("mobilenet_v2.imagenet")


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty foveal cache and no FOVEAL_WEIGHTS_PATH."""
    monkeypatch.setenv("FOVEAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FOVEAL_WEIGHTS_PATH", "")
    return tmp_path / "home"


def no_weights(spec, path=None, **kwargs):
    """resolve_weights as on an install where no package ships the weights and none is cached."""
    raise WeightsNotFoundError(f"weights file {spec.weights.file} was not found")


def test_pack_copies_onnx_weights_and_keeps_them(
    home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
    shared: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FOVEAL_WEIGHTS_PATH", str(shared / "weights"))
    dest = tmp_path / "pack"
    args = ["models", "pack", str(dest), "--model", "yolox_nano.coco", "--model", "yunet.2023mar"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "yolox_nano.coco" in out and "copied" in out
    for name in ("yolox_nano.onnx", "face_detection_yunet_2023mar.onnx"):
        assert (dest / name).read_bytes() == (shared / "weights" / name).read_bytes()
    assert main(args) == 0
    again = capsys.readouterr().out
    assert "copied" not in again and again.count("kept") == 2


def test_pack_into_a_file_is_one_line(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("not a folder")
    with pytest.raises(ConfigError, match="is a file; give a folder") as err:
        pack_models(target, lambda spec: None, [zoo.get("yolox_nano.coco")])
    assert "\n" not in str(err.value)


def test_packed_classifier_runs_without_its_weights(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, photos: dict[str, Path]
) -> None:
    dest = tmp_path / "pack"
    done = pack_models(dest, lambda spec: Classifier.export, [MOBILENET])
    assert [(p.action, p.path.name) for p in done] == [("exported", packed_name(MOBILENET))]
    reference = Classifier("mobilenet_v2.imagenet")(photos["chelsea"])
    # an install with the packed folder only: no .pth anywhere, no export cache
    monkeypatch.setenv("FOVEAL_HOME", str(tmp_path / "other-home"))
    monkeypatch.setenv("FOVEAL_WEIGHTS_PATH", str(dest))
    monkeypatch.setattr(runtime_open, "resolve_weights", no_weights)
    assert packed_onnx(MOBILENET) == dest / packed_name(MOBILENET)
    clf = Classifier("mobilenet_v2.imagenet")
    assert clf.model.path == dest / packed_name(MOBILENET)
    got = clf(photos["chelsea"])
    assert got.names == reference.names and got.names[0].endswith("cat")
    np.testing.assert_allclose(got.scores, reference.scores, atol=1e-5)
    assert not (tmp_path / "other-home" / "onnx").exists()  # nothing was exported


def test_exported_onnx_prefers_a_packed_file(home: Path, tmp_path: Path, monkeypatch) -> None:
    dest = tmp_path / "pack"
    pack_models(dest, lambda spec: Classifier.export, [MOBILENET])
    monkeypatch.setenv("FOVEAL_WEIGHTS_PATH", str(dest))

    def must_not_export(spec, out, weights):
        raise AssertionError("exported although a packed file exists")

    weights = zoo.resolve_weights(MOBILENET)
    assert exported_onnx(MOBILENET, weights, must_not_export) == dest / packed_name(MOBILENET)


def test_export_without_torch_says_how_to_get_the_file(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = zoo.get("dlib_resnet.v1")
    weights = zoo.resolve_weights(spec)
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch fails, as without foveal[train]
    with pytest.raises(ConfigError) as err:
        exported_onnx(spec, weights, export_dlib_onnx)
    msg = str(err.value)
    assert "\n" not in msg
    assert "exporting it needs PyTorch" in msg
    assert "pip install 'foveal[train]'" in msg
    assert "foveal models pack DIR" in msg and "FOVEAL_WEIGHTS_PATH=DIR" in msg
    assert packed_name(spec) in msg


def test_missing_weights_name_the_packed_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime_open, "resolve_weights", no_weights)
    with pytest.raises(WeightsNotFoundError) as err:
        open_model("mobilenet_v2.imagenet", tasks={"classify"}, export=Classifier.export)
    msg = str(err.value)
    assert "\n" not in msg
    assert packed_name(MOBILENET) in msg and "foveal models pack DIR" in msg


def test_models_list_shows_packed_files(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    dest = tmp_path / "pack"
    pack_models(dest, lambda spec: Classifier.export, [MOBILENET])
    monkeypatch.setenv("FOVEAL_WEIGHTS_PATH", str(dest))
    assert main(["models", "list", "--json"]) == 0

    rows = {r["name"]: r["available"] for r in json.loads(capsys.readouterr().out)}
    assert rows["mobilenet_v2.imagenet"] == f"packed ONNX in {dest}"
    assert not rows["efficientnet_lite0.imagenet"].startswith("packed")
