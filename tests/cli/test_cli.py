"""The command line, run as a user would (subprocesses with the real entry point)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image


def foveal(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "foveal", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=os.environ.copy(),
        timeout=300,
    )


def test_import_is_cheap() -> None:
    code = (
        "import sys, foveal; print(sorted(m for m in ('torch','onnxruntime','cv2','torchvision') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_classify_folder_mixing_good_and_bad(tmp_path: Path, photos: dict[str, Path]) -> None:
    for name in ("chelsea", "coffee"):
        Image.open(photos[name]).save(tmp_path / f"{name}.png")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (tmp_path / "empty.png").write_bytes(b"")
    res = foveal("classify", str(tmp_path), "--json", "--top-k", "2", "--no-progress")
    assert res.returncode == 1, res.stderr  # 1: some inputs were skipped
    records = [json.loads(line) for line in res.stdout.splitlines()]
    assert [Path(r["source"]).name for r in records] == ["chelsea.png", "coffee.png"]
    assert records[1]["top"][0]["name"] == "espresso" and len(records[1]["top"]) == 2
    skipped = [
        json.loads(line)["skipped"] for line in res.stderr.splitlines() if line.startswith("{")
    ]
    assert sorted(Path(s).name for s in skipped) == ["broken.jpg", "empty.png"]


def test_classify_human_output_and_errors(photos: dict[str, Path]) -> None:
    res = foveal("classify", str(photos["coffee"]), "--top-k", "1", "--no-progress")
    assert res.returncode == 0 and "espresso" in res.stdout
    res = foveal("classify", str(photos["coffee"]), "--model", "resnet9000.imagenet")
    assert res.returncode == 2 and "no model named 'resnet9000.imagenet'" in res.stderr
    assert "Traceback" not in res.stderr
    res = foveal("classify", str(photos["coffee"]), "--top-k", "0")
    assert res.returncode == 2 and "--top-k must be at least 1" in res.stderr
    res = foveal("classify", str(photos["coffee"]), "--colour", "red")
    assert res.returncode == 2 and "unrecognized arguments: --colour" in res.stderr


def test_models_list_info_and_export(tmp_path: Path, photos: dict[str, Path]) -> None:
    res = foveal("models", "list")
    assert res.returncode == 0 and "mobilenet_v2.imagenet" in res.stdout and "package" in res.stdout
    info = json.loads(foveal("models", "info", "efficientnet_lite0.imagenet").stdout)
    assert info["weights"]["licence"] == "Apache-2.0" and info["preprocess"]["input_size"] == [
        224,
        224,
    ]
    meta = info["meta"]  # the ModelMeta its ONNX export embeds
    assert (meta["name"], meta["task"], len(meta["labels"])) == (
        "efficientnet_lite0.imagenet",
        "classify",
        1000,
    )
    assert meta["preprocess"]["input_size"] == [224, 224]
    out = tmp_path / "m.onnx"
    res = foveal("export", "mobilenet_v2.imagenet", "-o", str(out))
    assert res.returncode == 0 and out.is_file() and "max |onnx - torch|" in res.stdout
    res = foveal("classify", str(photos["coffee"]), "--model", str(out), "--top-k", "1")
    assert res.returncode == 0 and "espresso" in res.stdout, res.stderr  # the export runs
    res = foveal("classify", str(Path(__file__).parent), "--model", str(out))
    assert res.returncode == 1  # a folder without images: nothing to do, said in one line
    assert res.stderr.startswith("foveal: error: no images in ") and res.stderr.count("\n") == 1


def test_models_pull_finds_packaged_weights_offline(tmp_path: Path) -> None:
    env_home = tmp_path / "h"
    res = subprocess.run(
        [sys.executable, "-m", "foveal", "models", "pull", "mobilenet_v2.imagenet"],
        capture_output=True,
        text=True,
        env={**os.environ, "FOVEAL_HOME": str(env_home)},
        timeout=120,
    )
    assert res.returncode == 0 and res.stdout.strip().endswith("mobilenet_v2-b0353104.pth")
