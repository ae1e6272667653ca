"""`foveal data check` on an ImageFolder (not a detection layout) checks it as classification
data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image


def test_data_check_dispatches_imagefolder(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for cls in ("cat", "dog"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(
                tmp_path / cls / f"{i}.png"
            )
    res = subprocess.run(
        [sys.executable, "-m", "foveal", "data", "check", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2 classes, 6 images" in res.stdout
    (tmp_path / "dog" / "bad.jpg").write_text("not an image")
    res = subprocess.run(
        [sys.executable, "-m", "foveal", "data", "check", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 1 and "unreadable image" in res.stdout and "bad.jpg" in res.stdout
