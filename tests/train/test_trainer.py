"""The training engine on real data (scikit-learn's handwritten digits): learning, run folder,
SIGKILL + resume reproducibility, torchrun DDP, early stopping and clear errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from foveal.errors import ConfigError
from foveal.train import CheckpointError, TrainConfig, Trainer
from foveal.train.data import EpochSampler
from foveal.train.optim import lr_factor
from foveal.train.runlog import read_metrics_csv

from .digits import DigitsRecipe

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("digits.py")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env["OMP_NUM_THREADS"] = "1"
    return env


def _cfg(run_dir: Path, **kw: object) -> TrainConfig:
    base = dict(
        epochs=3,
        lr=3e-3,
        warmup_epochs=0.5,
        seed=7,
        run_dir=str(run_dir),
        progress=False,
        threads=1,
    )
    base.update(kw)
    return TrainConfig(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory: pytest.TempPathFactory):
    run_dir = tmp_path_factory.mktemp("digits") / "run"
    return Trainer(DigitsRecipe(), _cfg(run_dir)).fit()


def test_loss_falls_and_run_folder_is_complete(digits_run) -> None:
    rows = read_metrics_csv(digits_run.run_dir / "metrics.csv")
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert rows[-1]["train_loss"] < 0.5 * rows[0]["train_loss"]
    assert rows[-1]["val_loss"] < rows[0]["val_loss"]
    assert digits_run.best_metric > 0.85  # 10 classes: chance is 0.1
    for name in (
        "config.json",
        "summary.json",
        "loss.png",
        "metrics.png",
        "model.onnx",
        "checkpoints/last.pt",
        "checkpoints/best.pt",
    ):
        assert (digits_run.run_dir / name).is_file(), name
    cfg = json.loads((digits_run.run_dir / "config.json").read_text())
    assert cfg["train"]["epochs"] == 3 and cfg["recipe"]["arch"] == "digits_cnn"
    summary = json.loads((digits_run.run_dir / "summary.json").read_text())
    assert summary["best_metric"] == digits_run.best_metric
    assert summary["best_epoch"] == max(rows, key=lambda r: r["val_accuracy"])["epoch"]
    assert (digits_run.run_dir / "loss.png").read_bytes()[:4] == b"\x89PNG"


def test_existing_run_needs_resume(digits_run) -> None:
    with pytest.raises(ConfigError, match="--resume"):
        Trainer(DigitsRecipe(), _cfg(digits_run.run_dir)).fit()


class OtherArch(DigitsRecipe):
    def describe(self):  # type: ignore[override]
        return {"arch": "digits_mlp", "classes": 10}

    def build_model(self) -> nn.Module:
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 10))


def test_checkpoint_from_another_architecture_is_refused(digits_run, tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="architecture 'digits_cnn'.*'digits_mlp'"):
        Trainer(OtherArch(), _cfg(tmp_path / "x", init_from=str(digits_run.run_dir))).fit()


class MoreClasses(DigitsRecipe):
    def build_model(self) -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.Flatten(),
            nn.Dropout(0.2),
            nn.Linear(16 * 64, 12),
        )


def test_checkpoint_with_other_shapes_is_refused(digits_run, tmp_path: Path) -> None:
    with pytest.raises(
        CheckpointError, match=r"differ in shape .*\[10\] in the checkpoint, \[12\] here"
    ):
        Trainer(
            MoreClasses(),
            _cfg(tmp_path / "y", init_from=str(digits_run.run_dir / "checkpoints/best.pt")),
        ).fit()


def test_resume_with_other_options_is_refused(digits_run) -> None:
    with pytest.raises(ConfigError, match="lr"):
        Trainer(DigitsRecipe(), _cfg(digits_run.run_dir, lr=1e-2, resume=True)).fit()


class Flat(DigitsRecipe):
    def evaluate(self, model, loader):  # type: ignore[override]
        return {"accuracy": 0.5}


def test_early_stopping(tmp_path: Path) -> None:
    res = Trainer(Flat(n_train=256), _cfg(tmp_path / "r", epochs=10, patience=2)).fit()
    assert res.stopped_early and res.epochs_run == 3 and res.best_epoch == 1


class KeepLast(Flat):
    """A fixed schedule: the last epoch is kept whatever the validation says."""

    select = "last"


def test_keeping_the_last_epoch_marks_only_real_improvements(tmp_path: Path, capsys) -> None:
    res = Trainer(KeepLast(n_train=256), _cfg(tmp_path / "r", epochs=3)).fit()
    assert res.best_epoch == 3  # kept: the last
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("epoch ")]
    assert len(lines) == 3 and ["(best)" in x for x in lines] == [True, False, False]


def test_bad_recipe_and_options(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="lacks .*training_step"):
        Trainer(object(), _cfg(tmp_path))
    with pytest.raises(ConfigError, match="optimizer 'adam'"):
        TrainConfig(optimizer="adam")
    with pytest.raises(ConfigError, match="schedule"):
        TrainConfig(schedule="step")


def test_schedules_warm_up_then_decay() -> None:
    cfg = TrainConfig(epochs=10, warmup_epochs=1, min_lr_ratio=0.01)
    f = lr_factor(cfg, steps_per_epoch=10)
    assert f(0) == pytest.approx(0.01) and f(10) == pytest.approx(1.0)
    assert f(5) < f(9) < f(10) and f(50) < f(10) and f(100) == pytest.approx(0.01)
    one = lr_factor(TrainConfig(epochs=10, warmup_epochs=0, schedule="onecycle"), 10)
    assert one(0) == pytest.approx(1 / 25) and one(30) == pytest.approx(1.0) and one(100) < 1e-3


def test_epoch_sampler_depends_only_on_seed_and_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    def order(seed: int, epoch: int) -> list[int]:
        s = EpochSampler(50, seed=seed)
        s.set_epoch(epoch)
        return list(s)

    assert order(1, 3) == order(1, 3) and order(1, 3) != order(1, 4) and order(1, 3) != order(2, 3)
    assert sorted(order(1, 3)) == list(range(50))
    from foveal.train import distributed

    monkeypatch.setattr(distributed, "world_size", lambda: 2)
    shards = []
    for r in (0, 1):
        monkeypatch.setattr(distributed, "rank", lambda r=r: r)
        shards.append(order(1, 3))
    assert len(shards[0]) == len(shards[1]) == 25 and sorted(shards[0] + shards[1]) == list(
        range(50)
    )
    weighted = EpochSampler(4, weights=[0, 0, 1, 0], num_samples=8, seed=0)
    monkeypatch.setattr(distributed, "world_size", lambda: 1)
    monkeypatch.setattr(distributed, "rank", lambda: 0)
    assert list(weighted) == [2] * 8


def test_length_grouped_batches_cover_the_epoch_with_little_padding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from foveal.train.data import LengthGroupedBatchSampler, prepare_loader

    lengths = [int(x) for x in np.random.default_rng(0).integers(10, 400, 1000)]

    def batches(seed: int, epoch: int, **kw) -> list[list[int]]:
        s = LengthGroupedBatchSampler(lambda e: lengths, n=1000, batch_size=32, seed=seed, **kw)
        s.set_epoch(epoch)
        assert len(list(s)) == len(s) == 32
        return list(s)

    b = batches(1, 3)
    assert b == batches(1, 3) and b != batches(1, 4) and b != batches(2, 3)
    assert sorted(i for batch in b for i in batch) == list(range(1000))

    def padding(bs: list[list[int]]) -> int:
        return sum(
            max(lengths[i] for i in batch) * len(batch) - sum(lengths[i] for i in batch)
            for batch in bs
        )

    random_batches = [list(range(k, min(k + 32, 1000))) for k in range(0, 1000, 32)]
    assert padding(b) < 0.2 * padding(random_batches)
    ordered = batches(0, 0, shuffle=False)
    assert [lengths[i] for batch in ordered for i in batch] == sorted(lengths)
    from foveal.train import distributed

    monkeypatch.setattr(distributed, "world_size", lambda: 2)
    shards = []
    for r in (0, 1):
        monkeypatch.setattr(distributed, "rank", lambda r=r: r)
        s = LengthGroupedBatchSampler(lambda e: lengths, n=1000, batch_size=32, seed=1)
        s.set_epoch(3)
        shards.append(list(s))
        assert len(shards[-1]) == len(s) == 16
    assert sorted(i for batch in shards[0] + shards[1] for i in batch) == list(range(1000))
    monkeypatch.setattr(distributed, "world_size", lambda: 1)
    monkeypatch.setattr(distributed, "rank", lambda: 0)
    bad = LengthGroupedBatchSampler(lambda e: lengths[:10], n=1000, batch_size=32)
    with pytest.raises(ValueError, match="10 lengths for 1000 samples"):
        list(bad)
    loader = torch.utils.data.DataLoader(
        range(1000),
        batch_sampler=LengthGroupedBatchSampler(lambda e: lengths, n=1000, batch_size=32),
    )
    assert prepare_loader(loader, seed=7, train=True).batch_sampler.seed == 7


def _run_script(run_dir: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), "--run-dir", str(run_dir), "--epochs", "3", *extra],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigkill_mid_epoch_then_resume_reproduces_the_uninterrupted_run(tmp_path: Path) -> None:
    full = _run_script(tmp_path / "full")
    marker = tmp_path / "paused"
    # 1500 images / 64 = 24 steps per epoch: step 34 is in the middle of epoch 2.
    victim = _run_script(tmp_path / "killed", "--pause-at", "34", "--marker", str(marker))
    deadline = time.monotonic() + 300
    while not marker.exists():
        assert victim.poll() is None, victim.communicate()
        assert time.monotonic() < deadline, "the run never reached the pause point"
        time.sleep(0.2)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    state = torch.load(tmp_path / "killed/checkpoints/last.pt", weights_only=True)
    assert state["epoch"] == 1  # killed during epoch 2

    resumed = _run_script(tmp_path / "killed", "--resume")
    out_r, err_r = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err_r
    out_f, err_f = full.communicate(timeout=300)
    assert full.returncode == 0, err_f
    a, b = json.loads(out_f.splitlines()[-1]), json.loads(out_r.splitlines()[-1])
    assert b["final"] == a["final"] and b["best_epoch"] == a["best_epoch"]
    ha = read_metrics_csv(tmp_path / "full/metrics.csv")
    hb = read_metrics_csv(tmp_path / "killed/metrics.csv")
    for ra, rb in zip(ha, hb, strict=True):
        for k in ("epoch", "lr", "train_loss", "train_acc", "val_accuracy", "val_loss"):
            assert ra[k] == rb[k], (k, ra, rb)


def test_torchrun_two_processes_gives_the_same_result_shape(tmp_path: Path, digits_run) -> None:
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        str(SCRIPT),
        "--run-dir",
        str(tmp_path / "ddp"),
        "--epochs",
        "3",
    ]
    proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    one = digits_run.to_dict()
    assert set(res) == set(one) and set(res["final"]) == set(one["final"])
    assert res["epochs_run"] == 3 and res["best_metric"] > 0.8
    cfg = json.loads((tmp_path / "ddp/config.json").read_text())
    assert cfg["world_size"] == 2
    rows = read_metrics_csv(tmp_path / "ddp/metrics.csv")
    assert len(rows) == 3 and rows[-1]["train_loss"] < rows[0]["train_loss"]
    assert (tmp_path / "ddp/model.onnx").is_file()
