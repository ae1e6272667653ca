"""Fine-tune a pretrained classifier on an ImageFolder dataset with :class:`foveal.train.Trainer`.

Modes: ``auto`` (the default: ``linear`` on small data, else ``finetune``; see
:mod:`foveal.tasks.classify.auto`), ``linear`` (frozen backbone, new head, trained on features
computed once per fixed view), ``finetune`` (everything trains at ``lr``) and ``discriminative``
(earlier layers learn more slowly: ``lr * lr_decay ** depth``).

Training takes minutes, so the example is not run here::

    from foveal.tasks.classify.train import ClassifyOptions, train_classifier
    from foveal.train import TrainConfig
    res = train_classifier(ClassifyOptions("flowers/", model="mobilenet_v2.imagenet"),
                           TrainConfig(epochs=5, lr=1e-3))
    res.export_path     # PosixPath('runs/classify/1/model.onnx'): the first run's folder
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from foveal.errors import ConfigError, ImageError
from foveal.tasks.classify.network import TrainableClassifier
from foveal.tasks.classify.options import ClassifyOptions
from foveal.tasks.classify.provenance import write_training_files
from foveal.zoo import ModelSpec, WeightSpec, get


def _log(msg: str) -> None:
    import os

    if os.environ.get("RANK", "0") == "0":
        print(msg, file=sys.stderr, flush=True)


class ClassificationRecipe:
    """The training recipe for image classification (see :mod:`foveal.train.recipe`)."""

    name = "classify"
    main_metric = "accuracy"
    mode = "max"

    def __init__(
        self,
        options: ClassifyOptions,
        *,
        splits: Any = None,
        feature_bank: Any = None,
    ) -> None:
        """``splits``: a :class:`foveal.data.imagefolder.Splits` to use instead of reading
        ``options.data`` (cross-validation folds); ``feature_bank``: a shared
        :class:`~foveal.tasks.classify.probe.FeatureBank` (folds reuse each other's features)."""
        from foveal.data.dataset import CACHE_LIMIT_BYTES, decode_all
        from foveal.data.imagefolder import limit_per_class, load_splits
        from foveal.tasks.classify.auto import choose_recipe

        options.validate()
        self.options = o = options
        self.spec = get(o.model)
        if self.spec.task != "classify" or not self.spec.builder:
            raise ConfigError(
                f"{self.spec.name} is a {self.spec.task} model; "
                "train classify needs a zoo classifier"
            )
        if splits is None:
            splits = load_splits(
                o.data, val_fraction=o.val_fraction, seed=o.seed, num_classes=o.num_classes
            )
        self.classes = splits.classes
        train = splits.train
        if o.limit_per_class:
            train = limit_per_class(train, o.limit_per_class, seed=o.seed)
        self.choice = choose_recipe(
            len(train),
            list(self.classes),
            mode=o.mode,
            augment=o.augment,
            hflip=o.hflip,
            linear_max=o.auto_linear_max,
        )
        self.train_mode = self.choice.mode
        # linear probe: a convex head on fixed features, trained to the end of a fixed schedule;
        # the last epoch is kept (a best epoch picked on a few dozen images is mostly noise)
        self.select = "last" if self.train_mode == "linear" else "best"
        self.feature_bank = feature_bank
        size = o.input_size or self.spec.preprocess.input_size[0]
        resize = o.resize or round(size * 256 / 224)
        if resize < size:
            raise ConfigError(f"resize ({resize}) must be at least the input size ({size})")
        self.preprocess = replace(
            self.spec.preprocess, input_size=(size, size), resize=resize, crop=True
        )
        n = len(train) + len(splits.val)
        est = n * resize * resize * 3 * 1.4  # decoded images shrunk to `resize`
        keep = o.cache == "yes" or (o.cache == "auto" and est <= CACHE_LIMIT_BYTES)
        keep = keep or self.train_mode == "linear"  # features are computed from the decoded images
        _log(
            f"foveal: recipe {self.train_mode} (augment {self.choice.augment}, "
            f"hflip {'on' if self.choice.hflip else 'off'}): {self.choice.reason}"
        )
        _log(
            f"foveal: {len(self.classes)} classes, {len(train)} training and "
            f"{len(splits.val)} validation images "
            f"({splits.source}); checking every image{' and caching it' if keep else ''}"
        )
        tr_imgs, tr_bad = decode_all(train, short_side=resize, keep=keep)
        va_imgs, va_bad = decode_all(splits.val, short_side=resize, keep=keep)
        bad = tr_bad + va_bad
        if bad:
            listing = "\n".join(f"  {p}: {e}" for p, e in bad[:10]) + (
                f"\n  ... {len(bad) - 10} more" if len(bad) > 10 else ""
            )
            if not o.skip_bad:
                raise ImageError(
                    f"{len(bad)} unreadable image(s) in {o.data}:\n{listing}\n"
                    "Remove or replace them ('foveal data check-images DIR' lists every problem), "
                    "or pass --skip-bad to leave them out."
                )
            _log(f"foveal: leaving out {len(bad)} unreadable image(s):\n{listing}")
        badset = {p for p, _ in bad}
        self.train_samples = [s for s in train if s[0] not in badset]
        self.val_samples = [s for s in splits.val if s[0] not in badset]
        self.train_images = (
            [im for s, im in zip(train, tr_imgs, strict=True) if s[0] not in badset]
            if keep
            else None
        )
        self.val_images = (
            [im for s, im in zip(splits.val, va_imgs, strict=True) if s[0] not in badset]
            if keep
            else None
        )
        counts = Counter(label for _, label in self.train_samples)
        self.counts = [counts.get(i, 0) for i in range(len(self.classes))]
        missing = [c for c, k in zip(self.classes, self.counts, strict=True) if k == 0]
        if missing:
            raise ConfigError(
                f"no readable training images left for class(es) {', '.join(missing)}"
            )
        ratio = max(self.counts) / max(1, min(self.counts))
        if ratio >= 3 and o.balance == "none":
            _log(
                f"foveal: the classes are imbalanced (largest/smallest = {ratio:.1f}); "
                "consider --balance weights or --balance sampler"
            )
        self.val_labels = np.asarray([label for _, label in self.val_samples])

    # -- contract ---------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        o = self.options
        return {
            "arch": self.spec.arch,
            "base_model": self.spec.name,
            "pretrained": o.pretrained,
            "mode": self.train_mode,
            "mode_asked": o.mode,
            "recipe_reason": self.choice.reason,
            "selection": self.select,
            "classes": list(self.classes),
            "preprocess": self.preprocess.to_dict(),
            "augment": self.choice.augment,
            "hflip": self.choice.hflip,
            "balance": o.balance,
            "label_smoothing": o.label_smoothing,
            "batch_size": o.batch_size,
            "data": str(o.data),
            "train_images": len(self.train_samples),
            "val_images": len(self.val_samples),
            "lr_decay": o.lr_decay,
            "seed": o.seed,
            "precise_bn": self._use_precise_bn(),
        }

    def build_model(self) -> nn.Module:
        from foveal.zoo.load import load_model

        o = self.options
        if o.pretrained:
            net = load_model(self.spec)
        else:
            net = self.spec.build()
        net.reset_classifier(len(self.classes))
        model = TrainableClassifier(net, freeze_backbone=self.train_mode == "linear")
        return model.to(memory_format=torch.channels_last) if o.channels_last else model

    def param_groups(self, model: nn.Module, lr: float) -> list[dict[str, Any]]:
        """Head at ``lr``; in ``discriminative`` mode five backbone groups at ``lr * lr_decay ** k``
        (k = 1 for the last, 5 for the first); biases and norm layers get no weight decay."""
        net = model.net  # type: ignore[attr-defined]
        head = list(net.classifier.parameters())
        head_ids = {id(p) for p in head}
        backbone = [p for p in net.parameters() if id(p) not in head_ids and p.requires_grad]
        groups: list[tuple[list[nn.Parameter], float]] = [(head, lr)]
        if self.train_mode == "discriminative" and backbone:
            chunks = np.array_split(np.arange(len(backbone)), 5)
            for k, idx in enumerate(reversed(chunks), start=1):
                groups.append(([backbone[i] for i in idx], lr * self.options.lr_decay**k))
        elif backbone:
            groups.append((backbone, lr))
        out: list[dict[str, Any]] = []
        for params, g_lr in groups:
            decay = [p for p in params if p.ndim > 1]
            flat = [p for p in params if p.ndim <= 1]
            if decay:
                out.append({"params": decay, "lr": g_lr})
            if flat:
                out.append({"params": flat, "lr": g_lr, "weight_decay": 0.0})
        return out

    def _loader(self, train: bool) -> Any:
        from torch.utils.data import DataLoader, WeightedRandomSampler

        from foveal.data.dataset import ImageDataset
        from foveal.data.transforms import eval_transform, train_transform

        o = self.options
        if self.train_mode == "linear":
            return self._feature_loader(train)
        if train:
            tf = train_transform(self.choice.augment, self.preprocess, hflip=self.choice.hflip)
            ds = ImageDataset(
                self.train_samples, tf, self.train_images, short_side=self.preprocess.resize
            )
        else:
            ds = ImageDataset(
                self.val_samples,
                eval_transform(self.preprocess),
                self.val_images,
                short_side=self.preprocess.resize,
            )
        kw: dict[str, Any] = {"batch_size": o.batch_size, "num_workers": o.workers}
        if train and o.balance == "sampler":
            w = [1.0 / self.counts[label] for _, label in self.train_samples]
            sampler = WeightedRandomSampler(w, num_samples=len(w), replacement=True)
            return DataLoader(ds, sampler=sampler, drop_last=len(ds) > o.batch_size, **kw)
        if train:
            return DataLoader(ds, shuffle=True, drop_last=len(ds) > o.batch_size, **kw)
        return DataLoader(
            ds, shuffle=False, batch_size=max(o.batch_size, 64), num_workers=o.workers
        )

    def _feature_loader(self, train: bool) -> Any:
        """Batches of cached frozen features (linear probe): every training image in its fixed
        views (:func:`~foveal.tasks.classify.probe.probe_views`); validation images centred."""
        import torch
        from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler

        from foveal.tasks.classify.probe import FeatureBank, probe_views
        from foveal.zoo.load import load_model

        o = self.options
        if self.feature_bank is not None and self.feature_bank.pp != self.preprocess:
            raise ConfigError(
                "the shared feature bank was computed with other preprocessing "
                f"({self.feature_bank.pp.input_size} vs {self.preprocess.input_size}); "
                "use one bank per model and input size"
            )
        if self.feature_bank is None:
            net = load_model(self.spec) if o.pretrained else self.spec.build()
            self.feature_bank = FeatureBank(net, self.preprocess, batch_size=o.batch_size)
        if train:
            views = probe_views(self.choice.augment, hflip=self.choice.hflip)
            samples, images = self.train_samples, self.train_images
        else:
            views, samples, images = ("centre",), self.val_samples, self.val_images
        feats, labels = self.feature_bank.features(samples, images, views)  # type: ignore[arg-type]
        ds = TensorDataset(torch.from_numpy(feats), torch.from_numpy(labels))
        if not train:
            return DataLoader(ds, batch_size=256, shuffle=False)
        if o.balance == "sampler":
            w = [1.0 / self.counts[int(y)] for y in labels]
            sampler = WeightedRandomSampler(w, num_samples=len(w), replacement=True)
            return DataLoader(ds, batch_size=o.batch_size, sampler=sampler, drop_last=True)
        return DataLoader(
            ds, batch_size=o.batch_size, shuffle=True, drop_last=len(ds) > o.batch_size
        )

    def train_loader(self) -> Any:
        return self._loader(True)

    def val_loader(self) -> Any:
        return self._loader(False)

    def _class_weights(self) -> torch.Tensor | None:
        if self.options.balance != "weights":
            return None
        c = torch.tensor(self.counts, dtype=torch.float32)
        return c.sum() / (len(c) * c)

    def training_step(self, model: nn.Module, batch: Any) -> dict[str, Any]:
        x, y = batch
        logits = model(x)
        w = self._class_weights()
        loss = F.cross_entropy(
            logits.float(),
            y,
            weight=None if w is None else w.to(logits.device),
            label_smoothing=self.options.label_smoothing,
        )
        return {"loss": loss, "acc": float((logits.argmax(1) == y).float().mean())}

    def predict(self, model: nn.Module, loader: Any) -> tuple[np.ndarray, np.ndarray]:
        """Softmax probabilities and labels over a loader."""
        probs, labels = [], []
        dev = next(model.parameters()).device
        for x, y in loader:
            probs.append(torch.softmax(model(x.to(dev)).float(), 1).detach().cpu().numpy())
            labels.append(np.asarray(y))
        return np.concatenate(probs), np.concatenate(labels)

    def _use_precise_bn(self) -> bool:
        o = self.options
        if self.train_mode == "linear" or o.precise_bn == "no":
            return False
        return o.precise_bn == "yes" or len(self.train_samples) <= 5000

    def recalibrate_bn(self, model: nn.Module, max_images: int = 1000) -> None:
        """Recompute every batch-norm layer's running mean/variance over (up to) ``max_images``
        un-augmented training images, as a plain average ("precise BN")."""
        from torch.utils.data import DataLoader

        from foveal.data.dataset import ImageDataset
        from foveal.data.transforms import eval_transform

        bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if not bns:
            return
        n = min(max_images, len(self.train_samples))
        idx = np.random.default_rng(self.options.seed).permutation(len(self.train_samples))[:n]
        samples = [self.train_samples[i] for i in sorted(idx)]
        images = (
            [self.train_images[i] for i in sorted(idx)] if self.train_images is not None else None
        )
        ds = ImageDataset(
            samples, eval_transform(self.preprocess), images, short_side=self.preprocess.resize
        )
        momenta = [m.momentum for m in bns]
        for m in bns:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the batches below
        was_training = model.training
        model.train()
        dev = next(model.parameters()).device
        with torch.no_grad():
            for x, _ in DataLoader(ds, batch_size=max(self.options.batch_size, 32)):
                model(x.to(dev))
        for m, mom in zip(bns, momenta, strict=True):
            m.momentum = mom
        model.train(was_training)

    def evaluate(self, model: nn.Module, loader: Any) -> dict[str, float]:
        from foveal.evaluate.classification import classification_metrics

        if self._use_precise_bn():
            self.recalibrate_bn(model)
            model.eval()
        probs, labels = self.predict(model, loader)
        m = classification_metrics(labels, probs, self.classes)
        loss = float(-np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, None)).mean())
        return {
            "loss": loss,
            "accuracy": m["top1"],
            "top5": m["top5"],
            "balanced_accuracy": m["balanced_accuracy"],
        }

    def finalize(self, model: nn.Module, run_dir: Path, loader: Any) -> dict[str, Any]:
        """Confusion matrix PNG and per-class report of the best model on the validation images."""
        from foveal.evaluate.classification import classification_metrics, write_report

        probs, labels = self.predict(model, loader)
        m = classification_metrics(labels, probs, self.classes)
        write_report(m, run_dir, prefix="val_", title=f"validation, {self.select} epoch")
        write_training_files(run_dir, [p for p, _ in self.train_samples])
        return {
            "recipe": self.train_mode,
            "recipe_reason": self.choice.reason,
            "val_top1": m["top1"],
            "val_top5": m["top5"],
            "confusion_matrix": str(run_dir / "val_confusion_matrix.png"),
        }

    def export(self, model: nn.Module, run_dir: Path) -> Path:
        """``run_dir/model.onnx`` with logits + embedding outputs and foveal metadata (labels,
        preprocessing)."""
        from foveal.tasks.classify.export import export_classifier

        tag = "".join(
            ch if ch.isalnum() or ch in "-_" else "_"
            for ch in Path(self.options.data).resolve().name
        )
        spec = ModelSpec(
            name=f"{self.spec.arch}.{tag or 'custom'}",
            task="classify",
            weights=WeightSpec(
                file="model.onnx",
                sha256="",
                url=None,
                licence="yours (trained by foveal)",
                format="onnx",
            ),
            preprocess=self.preprocess,
            labels=tuple(self.classes),
        )
        import copy

        net = copy.deepcopy(model.net if hasattr(model, "net") else model).to(
            memory_format=torch.contiguous_format
        )
        export_classifier(spec, run_dir / "model.onnx", net=net)
        return run_dir / "model.onnx"


def train_classifier(options: ClassifyOptions, config: Any = None) -> Any:
    """Train and export; returns :class:`foveal.train.FitResult` (``run_dir`` holds
    ``model.onnx``)."""
    from foveal.train import TrainConfig, Trainer

    return Trainer(ClassificationRecipe(options), config or TrainConfig()).fit()
