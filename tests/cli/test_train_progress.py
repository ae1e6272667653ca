"""Training progress: bars on a terminal only; a log file gets one line per epoch."""

from __future__ import annotations

import io
import sys

from tests.train.digits import DigitsRecipe

from foveal.train import TrainConfig, Trainer


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def fit(run_dir, epochs: int) -> None:
    cfg = TrainConfig(
        epochs=epochs, lr=3e-3, warmup_epochs=0.5, seed=7, run_dir=str(run_dir), threads=1
    )
    assert cfg.progress  # the default: progress is reported
    Trainer(DigitsRecipe(), cfg).fit()


def test_log_file_gets_one_line_per_epoch_and_no_bar(tmp_path, monkeypatch) -> None:
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    fit(tmp_path / "run", epochs=2)
    text = log.getvalue()
    assert "\r" not in text and "batch/s" not in text and "it/s" not in text
    epochs = [line.split("  ")[0] for line in text.splitlines() if line.startswith("epoch ")]
    assert epochs == ["epoch 1/2", "epoch 2/2"]


def test_terminal_gets_the_bar(tmp_path, monkeypatch) -> None:
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    fit(tmp_path / "run", epochs=1)
    text = term.getvalue()
    assert "\r" in text and "batch" in text  # tqdm redraws the bar in place
    assert any(line.startswith("epoch 1/1  train_loss") for line in text.split("\r"))
