"""`pip install .` in a new venv installs no PyTorch, stays under 700 MB, and runs classify,
detect, faces identify and read offline on the shared data with the files of `foveal models pack`.

The interpreter is ``FOVEAL_INSTALL_PYTHON`` (CI runs this file for Python 3.13 and 3.10), else
the one this test suite's venv was made from. The venv is kept between runs under
``$FOVEAL_TEST_CACHE`` (default ``~/.cache/foveal-tests``), keyed by the Python version and the
hash of pyproject.toml: the dependencies install once, foveal itself is reinstalled every run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SIZE_LIMIT_MB = 700

pytestmark = pytest.mark.slow


def base_python() -> str:
    chosen = os.environ.get("FOVEAL_INSTALL_PYTHON")
    if chosen:
        return chosen
    return getattr(sys, "_base_executable", None) or sys.executable


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=900)
    assert proc.returncode == 0, (
        f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n"
        f"{proc.stderr[-3000:]}"
    )
    return proc.stdout


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without this suite's PYTHONPATH or venv: the installed copy runs."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(extra)
    return env


def du_mb(path: Path) -> int:
    """Disk use in MiB, as ``du -sm`` counts it."""
    return int(run(["du", "-sm", str(path)]).split()[0])


@pytest.fixture(scope="module")
def venv() -> Path:
    python = base_python()
    version = run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).strip()
    key = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:12]
    cache = Path(os.environ.get("FOVEAL_TEST_CACHE", Path.home() / ".cache" / "foveal-tests"))
    folder = cache / f"torch-free-py{version}-{key}"
    pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "-q"]
    env = clean_env()
    if (folder / ".installed").is_file():
        # this checkout's code, on the dependencies installed before
        run([*pip, "--no-deps", "--force-reinstall", str(ROOT)], env=env, cwd=folder)
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    run([python, "-m", "venv", str(folder)], env=env)
    run([*pip, str(ROOT)], env=env, cwd=folder)  # a plain install, as users do
    (folder / ".installed").write_text(version)
    return folder


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    """Every zoo model's inference file, written by this suite's Python (which has PyTorch)."""
    dest = tmp_path_factory.mktemp("packed")
    env = {**os.environ, "FOVEAL_WEIGHTS_PATH": str(shared / "weights")}
    run([sys.executable, "-m", "foveal", "models", "pack", str(dest)], env=env)
    return dest


@pytest.fixture()
def foveal_cli(venv: Path, packed: Path, shared: Path, tmp_path: Path):
    env = clean_env(
        FOVEAL_OFFLINE="1",
        FOVEAL_WEIGHTS_PATH=os.pathsep.join([str(packed), str(shared / "weights")]),
        FOVEAL_HOME=str(tmp_path / "home"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        HOME=str(tmp_path),
    )

    def call(*args: str) -> str:
        return run([str(venv / "bin" / "foveal"), *args], env=env, cwd=tmp_path)

    return call


def test_install_has_no_torch_and_is_small(venv: Path) -> None:
    python = str(venv / "bin" / "python")
    proc = subprocess.run(
        [python, "-c", "import torch"], capture_output=True, text=True, env=clean_env()
    )
    assert proc.returncode != 0 and "No module named 'torch'" in proc.stderr
    listed = run([python, "-m", "pip", "list", "--format=freeze"], env=clean_env()).lower()
    names = {line.split("==")[0] for line in listed.split()}
    assert "foveal" in names
    assert not names & {"torch", "torchvision", "triton", "safetensors"}
    assert not any(n.startswith("nvidia-") for n in names)
    size = du_mb(venv)
    print(f"torch-free venv {venv.name}: {size} MB")
    assert size < SIZE_LIMIT_MB, f"the torch-free venv takes {size} MB (limit {SIZE_LIMIT_MB})"


def test_inference_runs_offline_without_torch(foveal_cli, shared: Path) -> None:
    data = shared / "data"
    ant = data / "classification" / "hymenoptera" / "train" / "ants" / "0013035.jpg"
    assert foveal_cli("classify", str(ant)).split(": ", 1)[1].startswith("ant (")
    people = data / "faces" / "people"
    detected = foveal_cli("detect", str(people / "biden.jpg"))
    assert "person" in detected and "tie" in detected
    assert "enrolled 1 face(s) for obama" in foveal_cli(
        "faces", "enroll", "obama", str(people / "obama.jpg")
    )
    assert "#1 obama" in foveal_cli("faces", "identify", str(people / "test" / "obama1.jpg"))
    text = foveal_cli("read", str(data / "ocr" / "receipts" / "100.jpg"))
    assert "KUALA LUMPUR" in text and "SIMPLIFIED TAX INVOICE" in text


def test_training_commands_name_the_train_extra(venv: Path, tmp_path: Path) -> None:
    cmd = [str(venv / "bin" / "foveal"), "export", "mobilenet_v2.imagenet", "-o", "m.onnx"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == (
        "foveal: error: this command needs torch, which is not installed here; "
        "pip install 'foveal[train]'\n"
    )
