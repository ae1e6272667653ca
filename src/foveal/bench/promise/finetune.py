"""The promise benchmark's fine-tuning recipe (a ``foveal.train`` recipe on a gray 28x28 split)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from foveal.zoo.meta import IMAGENET_MEAN, IMAGENET_STD


class FashionFinetune:
    """Fine-tune ImageNet MobileNetV2 on a gray 28x28 classification split.

    Images are resized to ``input_size``, repeated to 3 channels and ImageNet-normalised. The last
    10% of the training split (seeded) is the validation set; the test split is never seen.
    """

    name = "promise_finetune"
    main_metric = "accuracy"
    mode = "max"

    def __init__(
        self, split: Any, *, input_size: int = 64, batch_size: int = 64, seed: int = 0
    ) -> None:
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(split.x_train))
        n_val = max(len(order) // 10, 1)
        self.val_idx, self.train_idx = order[:n_val], order[n_val:]
        self.split = split
        self.input_size = input_size
        self.batch_size = batch_size
        self.num_classes = len(split.classes)

    def tensors(self, images: np.ndarray) -> Any:
        """``(N, 3, S, S)`` float tensors, ImageNet-normalised, of gray uint8 images."""
        import torch

        x = torch.from_numpy(np.asarray(images, np.float32) / 255.0)[:, None]
        x = torch.nn.functional.interpolate(
            x, size=(self.input_size,) * 2, mode="bilinear", align_corners=False
        )
        x = x.repeat(1, 3, 1, 1)
        mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        return ((x - mean) / std).contiguous()

    def _loader(self, idx: np.ndarray, shuffle: bool) -> Any:
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        x = self.tensors(self.split.x_train[idx])
        ds = TensorDataset(x, torch.from_numpy(self.split.y_train[idx]))
        return DataLoader(ds, batch_size=self.batch_size, shuffle=shuffle)

    def build_model(self) -> Any:
        from foveal.zoo.load import load_model

        net = load_model("mobilenet_v2.imagenet")
        net.reset_classifier(self.num_classes)
        return net

    def train_loader(self) -> Any:
        return self._loader(self.train_idx, True)

    def val_loader(self) -> Any:
        return self._loader(self.val_idx, False)

    def training_step(self, model: Any, batch: Any) -> dict[str, Any]:
        import torch

        x, y = batch
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits, y)
        return {"loss": loss, "acc": float((logits.argmax(1) == y).float().mean())}

    def evaluate(self, model: Any, loader: Any) -> dict[str, float]:
        import torch

        correct = total = 0
        with torch.no_grad():
            for x, y in loader:
                correct += int((model(x).argmax(1) == y).sum())
                total += len(y)
        return {"accuracy": correct / max(total, 1)}

    def describe(self) -> dict[str, Any]:
        return {
            "arch": "mobilenet_v2",
            "classes": list(self.split.classes),
            "input_size": self.input_size,
        }

    def export(self, model: Any, run_dir: Path) -> Path:
        """Write ``run_dir/model.onnx`` with its :class:`~foveal.zoo.meta.ModelMeta`."""
        import torch

        from foveal.runtime.export import export_onnx
        from foveal.zoo.meta import ModelMeta, Preprocess

        out = Path(run_dir) / "model.onnx"
        size = (self.input_size, self.input_size)
        sample = torch.zeros(1, 3, *size)
        meta = ModelMeta(
            name=self.name,
            task=self.name,
            labels=tuple(self.split.classes),
            preprocess=Preprocess(input_size=size, resize=None, crop=False),
        )
        export_onnx(
            model.eval(),
            sample,
            out,
            input_names=("input",),
            output_names=("logits",),
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            meta=meta,
        )
        return out

    def test_accuracy(self, onnx_path: Path) -> tuple[float, float]:
        """Accuracy of an exported model on the test split, and seconds taken."""
        from foveal.runtime import OnnxModel

        model = OnnxModel(onnx_path)
        x = self.tensors(self.split.x_test).numpy()
        t = time.perf_counter()
        preds = np.concatenate(
            [model.run(x[i : i + 256])[0].argmax(1) for i in range(0, len(x), 256)]
        )
        return float((preds == self.split.y_test).mean()), time.perf_counter() - t
