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
    assert (
        res.stderr.startswith("foveal: error: no images or videos in ")
        and res.stderr.count("\n") == 1
    )


def test_models_list_is_an_aligned_table_with_a_header(tmp_path: Path, shared: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "yolox_nano.onnx").write_bytes((shared / "weights" / "yolox_nano.onnx").read_bytes())
    env = {**os.environ, "FOVEAL_HOME": str(tmp_path / "h"), "FOVEAL_WEIGHTS_PATH": str(folder)}
    env.pop("FOVEAL_OFFLINE", None)  # online: files with a URL download on first use
    res = subprocess.run(
        [sys.executable, "-m", "foveal", "models", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert res.returncode == 0 and res.stderr == "", res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["NAME", "TASK", "LICENCE", "WHERE", "METRIC"]
    starts = [lines[0].index(h) for h in ("TASK", "LICENCE", "WHERE", "METRIC")]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert len(rows) == len(lines) - 1 >= 9
    for line in lines[1:]:  # every column starts under its header
        for col in starts:
            assert line[col - 2 : col] == "  " and line[col] != " ", (line, col)
    cell = {
        n: [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
        for n, line in rows.items()
    }
    assert cell["yolox_nano.coco"] == ["detect", "Apache-2.0", "shared file", "COCO mAP 25.8"]
    assert cell["mobilenet_v2.imagenet"] == [
        "classify",
        "BSD-3-Clause",
        "package",
        "ImageNet top-1 71.9 %",
    ]
    assert cell["yunet.2023mar"][1:3] == ["MIT / Apache-2.0", "download"]
    assert cell["centerface.wider"][3] == "-"
    as_json = json.loads(
        subprocess.run(
            [sys.executable, "-m", "foveal", "models", "list", "--json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        ).stdout
    )
    by_name = {m["name"]: m for m in as_json}
    assert by_name["yolox_nano.coco"]["available"] == f"FOVEAL_WEIGHTS_PATH folder {folder}"
    assert by_name["yunet.2023mar"]["available"] == "missing (foveal models pull NAME)"
    offline = subprocess.run(
        [sys.executable, "-m", "foveal", "models", "list", "--task", "face_detect"],
        capture_output=True,
        text=True,
        env={**env, "FOVEAL_OFFLINE": "1"},
        timeout=120,
    ).stdout.splitlines()
    assert [line.split()[0] for line in offline] == ["NAME", "centerface.wider", "yunet.2023mar"]
    assert offline[2].split()[5] == "missing"  # no download offline


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
