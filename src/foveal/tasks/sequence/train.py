"""Training sequence classifiers on the shared :class:`foveal.train.Trainer`.

The data is split by recording order (:func:`~foveal.tasks.sequence.data.split_by_order`): for
each class the last ``test_fraction`` of its rows is the test set, never seen in training; the last
``val_fraction`` of the rest chooses the best epoch. ``summary.json`` gets the test accuracy and
``test_confusion_matrix.png`` the confusions.

In Python (what ``foveal train sequence`` runs)::

    from foveal.train import TrainConfig, Trainer
    opts = SequenceOptions(data="point_history.csv", step_dims=2, arch="gru")
    result = Trainer(SequenceRecipe(opts), TrainConfig(epochs=25)).fit()
    result.extra["test_accuracy"]
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from foveal.errors import ConfigError
from foveal.nn.heads.sequence import ARCHS, build_sequence_model
from foveal.tasks.sequence.data import SequenceSet, split_by_order
from foveal.tasks.sequence.dataset import load_sequence_set

AUGMENTS = ("none", "rotate", "dropout", "rotate+dropout")


@dataclass(frozen=True)
class SequenceOptions:
    """What ``foveal train sequence`` trains on and how.

    Attributes:
        data: a CSV of rows ``label, v1, v2, ...`` or a folder of clips ``class/clip.mp4``.
        step_dims: numbers per time step in a CSV (clips: set by ``features``).
        labels: a file with one class name per line (CSV labels may then be ids or names).
        arch: ``lstm``, ``gru``, ``tcn`` or ``mlp``.
        deltas: also feed each step's difference to the previous one.
        augment: ``rotate`` turns every (x, y) pair of a sequence by one random angle and scales
            it by 0.7-1.3 (for 2-D point tracks, where direction of rotation is the class);
            ``dropout`` simulates lost tracking (:func:`lost_steps`); ``rotate+dropout`` both.
        features / frames / backbone: for clip folders, the per-frame features (``cnn`` or
            landmark parts), the steps sampled per clip and the CNN's zoo name.
    """

    data: str
    step_dims: int | None = None
    labels: str | None = None
    arch: str = "gru"
    hidden: int = 64
    layers: int = 2
    dropout: float = 0.2
    deltas: bool = False
    augment: str = "none"
    batch_size: int = 64
    test_fraction: float = 0.15
    val_fraction: float = 0.1
    features: str = "cnn"
    frames: int = 16
    backbone: str = "mobilenet_v2.imagenet"

    def validate(self) -> None:
        if self.arch not in ARCHS:
            raise ConfigError(f"--arch {self.arch!r}: choose one of {', '.join(ARCHS)}")
        if self.augment not in AUGMENTS:
            raise ConfigError(f"--augment {self.augment!r}: choose one of {', '.join(AUGMENTS)}")
        if self.batch_size < 1 or self.hidden < 1 or self.layers < 1:
            raise ConfigError("--batch-size, --hidden and --layers must be at least 1")
        for name in ("test_fraction", "val_fraction"):
            if not 0.0 < getattr(self, name) < 1.0:
                raise ConfigError(f"--{name.replace('_', '-')} must be between 0 and 1")


def rotate_pairs(x: torch.Tensor, scale: tuple[float, float] = (0.7, 1.3)) -> torch.Tensor:
    """Turn each sequence's (x, y) pairs by one random angle and scale them by one random factor
    (draws from torch's global generator, which the Trainer seeds per epoch).

    >>> torch.manual_seed(0) and None
    >>> x = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    >>> y = rotate_pairs(x, scale=(1.0, 1.0))
    >>> torch.allclose(y.norm(dim=2), x.norm(dim=2)), bool(torch.equal(x, y))
    (True, False)
    """
    n, t, d = x.shape
    if d % 2:
        raise ConfigError(f"--augment rotate needs (x, y) pairs per step; --step-dims is {d}")
    theta = torch.rand(n, device=x.device) * (2 * torch.pi)
    c, s = torch.cos(theta), torch.sin(theta)
    rot = torch.stack([torch.stack([c, -s], 1), torch.stack([s, c], 1)], 1)  # (n, 2, 2)
    lo, hi = scale
    k = lo + (hi - lo) * torch.rand(n, 1, 1, 1, device=x.device)
    pairs = x.reshape(n, t, d // 2, 2)
    return (torch.einsum("btpd,bed->btpe", pairs, rot) * k).reshape(n, t, d)


def lost_steps(x: torch.Tensor, p: float = 0.3, max_run: int = 6) -> torch.Tensor:
    """Simulate tracking dropouts as point-history recorders write them: in a fraction ``p`` of
    the sequences a run of 1..``max_run`` steps at the start or the end jumps to one far point
    (a lost point is written as the image origin, so relative to the first step it becomes a jump
    of up to the image size towards the top-left).

    >>> torch.manual_seed(1) and None
    >>> y = lost_steps(torch.zeros(64, 16, 2), p=1.0)
    >>> bool((y.abs().sum((1, 2)) > 0).all()), bool((y <= 0).all())
    (True, True)
    """
    n, t, d = x.shape
    if d % 2:
        raise ConfigError(f"--augment dropout needs (x, y) pairs per step; --step-dims is {d}")
    out = x.clone()
    hit = torch.rand(n) < p
    runs = torch.randint(1, max_run + 1, (n,))
    at_end = torch.rand(n) < 0.5
    far = -(0.1 + 0.8 * torch.rand(n, d))
    steps = torch.arange(t)
    for i in torch.nonzero(hit).flatten().tolist():
        k = int(runs[i])
        mask = steps >= t - k if at_end[i] else (steps >= 1) & (steps <= k)
        out[i, mask] = far[i]
    return out


class SequenceRecipe:
    """A :mod:`foveal.train.recipe` for sequence classification (see the module docstring)."""

    name = "sequence"
    # the validation rows are few and easy (accuracy reaches 1.0 within epochs): their loss
    # keeps telling better epochs apart
    main_metric = "loss"
    mode = "min"

    def __init__(self, options: SequenceOptions, data: SequenceSet | None = None) -> None:
        options.validate()
        self.options = options
        self.data = data if data is not None else load_sequence_set(options)
        for line in self.data.problems[:20]:
            print(f"foveal: skipped {line}", file=sys.stderr)
        if len(self.data.problems) > 20:
            print(f"foveal: ... {len(self.data.problems) - 20} more skipped", file=sys.stderr)
        y = self.data.y
        self.fit_idx, self.test_idx = split_by_order(y, options.test_fraction)
        tr, va = split_by_order(y[self.fit_idx], options.val_fraction)
        self.train_idx, self.val_idx = self.fit_idx[tr], self.fit_idx[va]
        self.classes = list(self.data.classes)
        missing = [c for i, c in enumerate(self.classes) if not np.any(y[self.train_idx] == i)]
        if missing:
            raise ConfigError(
                f"no training row for class(es) {', '.join(missing)}; each class needs at least "
                "3 rows (train, validation, test)"
            )

    @property
    def steps(self) -> int:
        return int(self.data.x.shape[1])

    @property
    def step_dims(self) -> int:
        return int(self.data.x.shape[2])

    def describe(self) -> dict[str, Any]:
        o = self.options
        return {
            "arch": f"sequence_{o.arch}",
            "data": str(Path(o.data).resolve()),
            "classes": self.classes,
            "steps": self.steps,
            "step_dims": self.step_dims,
            "hidden": o.hidden,
            "layers": o.layers,
            "deltas": o.deltas,
            "augment": o.augment,
            "features": self.data.features,
            "split": {
                "train": len(self.train_idx),
                "val": len(self.val_idx),
                "test": len(self.test_idx),
            },
        }

    def build_model(self) -> torch.nn.Module:
        o = self.options
        net = build_sequence_model(
            o.arch,
            steps=self.steps,
            step_dims=self.step_dims,
            num_classes=len(self.classes),
            hidden=o.hidden,
            layers=o.layers,
            dropout=o.dropout,
            deltas=o.deltas,
        )
        with torch.no_grad():
            feats = net.features(torch.from_numpy(self.data.x[self.train_idx]))
            flat = feats.reshape(-1, feats.shape[-1])
            net.set_standardization(flat.mean(0), flat.std(0))
        return net

    def _loader(self, idx: np.ndarray, train: bool) -> Any:
        from torch.utils.data import DataLoader, TensorDataset

        ds = TensorDataset(torch.from_numpy(self.data.x[idx]), torch.from_numpy(self.data.y[idx]))
        return DataLoader(ds, batch_size=self.options.batch_size, shuffle=train)

    def train_loader(self) -> Any:
        return self._loader(self.train_idx, True)

    def val_loader(self) -> Any:
        return self._loader(self.val_idx, False)

    def test_loader(self) -> Any:
        return self._loader(self.test_idx, False)

    def training_step(self, model: torch.nn.Module, batch: Any) -> dict[str, Any]:
        x, y = batch
        if "rotate" in self.options.augment:
            x = rotate_pairs(x)
        if "dropout" in self.options.augment:
            x = lost_steps(x)
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits, y)
        return {"loss": loss, "acc": float((logits.argmax(1) == y).float().mean())}

    def predict(self, model: torch.nn.Module, loader: Any) -> tuple[np.ndarray, np.ndarray]:
        probs, labels = [], []
        for x, y in loader:
            probs.append(torch.softmax(model(x.to(next(model.parameters()).device)), 1).cpu())
            labels.append(y)
        return torch.cat(probs).numpy(), torch.cat(labels).numpy()

    def evaluate(self, model: torch.nn.Module, loader: Any) -> dict[str, float]:
        probs, labels = self.predict(model, loader)
        loss = float(-np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, None)).mean())
        return {"loss": loss, "accuracy": float((probs.argmax(1) == labels).mean())}

    def finalize(self, model: torch.nn.Module, run_dir: Path, loader: Any) -> dict[str, Any]:
        """Test accuracy and confusion matrix of the best model on the held-out last rows."""
        from foveal.evaluate.classification import classification_metrics, write_report

        probs, labels = self.predict(model, self.test_loader())
        m = classification_metrics(labels, probs, self.classes)
        write_report(m, run_dir, prefix="test_", title="test: last rows of each class")
        return {
            "test_accuracy": m["top1"],
            "test_rows": len(labels),
            "confusion_matrix": str(run_dir / "test_confusion_matrix.png"),
        }

    def export(self, model: torch.nn.Module, run_dir: Path) -> Path:
        """``run_dir/model.onnx``: input ``sequence`` ``(N, T, D)``, output ``logits``, with the
        classes and the sequence shape in its metadata (checked against PyTorch)."""
        return export_sequence_model(
            model,
            run_dir / "model.onnx",
            name=f"sequence_{self.options.arch}.{_tag(self.options.data)}",
            classes=self.classes,
            params={
                "steps": self.steps,
                "step_dims": self.step_dims,
                "arch": self.options.arch,
                **self.data.feature_params(),
            },
        )


def _tag(data: str) -> str:
    stem = Path(data).resolve().stem
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem) or "custom"


def export_sequence_model(
    model: torch.nn.Module,
    path: Path,
    *,
    name: str,
    classes: list[str],
    params: dict[str, Any],
) -> Path:
    """Write a sequence classifier as ONNX (dynamic batch) with :class:`ModelMeta` task
    ``sequence``; raises :class:`foveal.errors.ExportError` when ONNX Runtime and PyTorch differ
    by more than 1e-4."""
    import copy

    from foveal.runtime.export import export_onnx
    from foveal.zoo.meta import ModelMeta

    net = copy.deepcopy(model).cpu().eval()
    steps, dims = int(params["steps"]), int(params["step_dims"])
    gen = torch.Generator().manual_seed(0)
    meta = ModelMeta(name=name, task="sequence", labels=tuple(classes), params=params)
    export_onnx(
        net,
        torch.randn(1, steps, dims, generator=gen) * 0.1,
        path,
        input_names=("sequence",),
        output_names=("logits",),
        dynamic_axes={"sequence": {0: "batch"}, "logits": {0: "batch"}},
        meta=meta,
        check_inputs=torch.randn(5, steps, dims, generator=gen) * 0.1,
    )
    return path
