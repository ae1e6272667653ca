"""A tiny real-data recipe for engine tests: scikit-learn's 8x8 handwritten digits, a small CNN.

Run as a script for subprocess / torchrun tests:
    python tests/train/digits.py --run-dir DIR --epochs 3 [--resume] [--pause-at EPOCH:STEP]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class Digits(Dataset):
    def __init__(self, x: np.ndarray, y: np.ndarray, *, augment: bool) -> None:
        self.x = torch.from_numpy(x.astype(np.float32) / 16.0).reshape(-1, 1, 8, 8)
        self.y = torch.from_numpy(y.astype(np.int64))
        self.augment = augment

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.x[i]
        if self.augment:  # draws from the global torch RNG, like torchvision transforms
            x = x + 0.05 * torch.randn_like(x)
        return x, self.y[i]


class DigitsRecipe:
    """Digits classification: 1500 train / 297 val images."""

    name = "digits"
    main_metric = "accuracy"
    mode = "max"

    def __init__(
        self,
        *,
        batch_size: int = 64,
        pause_at: tuple[int, int] | None = None,
        marker: Path | None = None,
        n_train: int = 1500,
    ) -> None:
        from sklearn.datasets import load_digits

        d = load_digits()
        self.train = Digits(d.data[:n_train], d.target[:n_train], augment=True)
        self.val = Digits(d.data[1500:], d.target[1500:], augment=False)
        self.batch_size = batch_size
        self.pause_at = pause_at
        self.marker = marker
        self.steps = 0

    def describe(self) -> dict[str, Any]:
        return {"arch": "digits_cnn", "classes": 10}

    def build_model(self) -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.Flatten(),
            nn.Dropout(0.2),
            nn.Linear(16 * 64, 10),
        )

    def train_loader(self) -> DataLoader:
        return DataLoader(self.train, batch_size=self.batch_size, shuffle=True)

    def val_loader(self) -> DataLoader:
        return DataLoader(self.val, batch_size=256)

    def training_step(self, model: nn.Module, batch: Any) -> dict[str, Any]:
        x, y = batch
        logits = model(x)
        loss = nn.functional.cross_entropy(logits, y)
        self.steps += 1
        if self.pause_at and self.marker and self.steps == self.pause_at[1]:
            self.marker.write_text("paused")
            time.sleep(120)  # the test SIGKILLs us here, in the middle of an epoch
        return {"loss": loss, "acc": float((logits.argmax(1) == y).float().mean())}

    def evaluate(self, model: nn.Module, loader: DataLoader) -> dict[str, float]:
        correct = total = 0
        loss = 0.0
        for x, y in loader:
            logits = model(x)
            loss += float(nn.functional.cross_entropy(logits, y, reduction="sum"))
            correct += int((logits.argmax(1) == y).sum())
            total += len(y)
        return {"accuracy": correct / total, "loss": loss / total}

    def export(self, model: nn.Module, run_dir: Path) -> Path:
        from foveal.runtime.export import export_onnx
        from foveal.zoo.meta import ModelMeta, Preprocess

        out = run_dir / "model.onnx"
        # 8x8 gray digits, raw values 0..16 divided by 16
        gray8 = Preprocess(
            input_size=(8, 8), resize=None, crop=False, mean=(0.0,) * 3, std=(1.0,) * 3,
            scale=1 / 16, channel_order="GRAY",
        )  # fmt: skip
        export_onnx(
            model,
            torch.zeros(1, 1, 8, 8),
            out,
            output_names=("logits",),
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            meta=ModelMeta(name="digits", task="digits", preprocess=gray8),
        )
        return out


def main() -> int:
    from foveal.train import TrainConfig, Trainer

    ap = argparse.ArgumentParser()
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument(
        "--pause-at", help="STEP: global training step at which to block (for kill tests)"
    )
    ap.add_argument("--marker")
    args = ap.parse_args()
    pause = (0, int(args.pause_at)) if args.pause_at else None
    recipe = DigitsRecipe(pause_at=pause, marker=Path(args.marker) if args.marker else None)
    cfg = TrainConfig(
        epochs=args.epochs,
        lr=3e-3,
        warmup_epochs=0.5,
        seed=7,
        run_dir=args.run_dir,
        resume=args.resume,
        progress=False,
        threads=1,
    )
    result = Trainer(recipe, cfg).fit()
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps(result.to_dict()))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    sys.exit(main())
