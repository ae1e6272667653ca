"""Fine-tune an ArcFace-style face embedder on a folder per person (recipe for ``foveal.train``).

    DIR/
      ada/ 1.jpg 2.jpg ...
      bob/ ...

Each photo's largest face is detected once, aligned to the 112x112 ArcFace template and kept in
memory; the network is an ImageNet backbone (MobileNetV2 by default) with a linear embedding
head and BatchNorm, trained with ArcFace (default) or batch-hard triplet loss. The export is an
ONNX file that :class:`foveal.tasks.faces.OnnxEmbedder` runs (L2-normalised output, cosine distance,
the best validation threshold in its metadata).

Training takes minutes, so the example is not run here::

    from foveal.tasks.faces.train import train_face_embedder
    from foveal.train import TrainConfig
    result = train_face_embedder("people/", TrainConfig(epochs=5), loss="arcface")
    result.export_path      # runs with --embedder
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from foveal.errors import ConfigError
from foveal.io import BatchReport, expand_sources, load_image
from foveal.tasks.faces.align import ARCFACE_112, align_face
from foveal.tasks.faces.export import export_trained_embedder
from foveal.tasks.faces.predict import FaceDetector
from foveal.train import TrainConfig

LOSSES = ("arcface", "triplet")


class FaceEmbedNet(nn.Module):
    """Backbone -> global average pool -> dropout -> linear -> BatchNorm1d: (N, dim) embeddings."""

    def __init__(
        self, backbone: nn.Module, num_features: int, dim: int = 128, dropout: float = 0.1
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(num_features, dim, bias=False), nn.BatchNorm1d(dim)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.backbone.forward_features(x)
        return self.head(f.mean(dim=(2, 3)))


class FaceTrainModel(nn.Module):
    """The embedder plus the loss's trainable part (ArcFace's class centres), trained together."""

    def __init__(self, embedder: FaceEmbedNet, loss: nn.Module) -> None:
        super().__init__()
        self.embedder = embedder
        self.loss = loss

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.embedder(x)


class NormalizedEmbedder(nn.Module):
    """The exported network: the embedding scaled to unit length."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.net(x), dim=1)


class _Chips(torch.utils.data.Dataset):
    def __init__(self, chips: np.ndarray, labels: np.ndarray, *, augment: bool) -> None:
        self.chips, self.labels, self.augment = chips, labels, augment

    def __len__(self) -> int:
        return len(self.chips)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        chip = self.chips[i]
        if self.augment and torch.rand(()) < 0.5:
            chip = chip[:, ::-1]
        x = (torch.from_numpy(np.ascontiguousarray(chip)).float() - 127.5) / 128.0
        return x.permute(2, 0, 1), int(self.labels[i])


class FaceRecipe:
    """Recipe for ``foveal train faces DIR_PER_PERSON``.

    Args:
        data: a folder with one sub-folder of photos per person (at least 2 people).
        loss: ``"arcface"`` (default) or ``"triplet"``.
        backbone: ``"mobilenet_v2"`` (ImageNet weights from the zoo when ``pretrained``).
        dim: embedding size.
        image_size: side of the aligned chip (112, the ArcFace template).
        batch_size: images per step.
        val_fraction: share of each person's photos held out for verification (people with one
            photo train only).
        detector: the face detector used to find and align faces.
    """

    name = "faces"
    main_metric = "verification_auc"
    mode = "max"

    def __init__(
        self,
        data: str | os.PathLike,
        *,
        loss: str = "arcface",
        backbone: str = "mobilenet_v2",
        pretrained: bool = True,
        dim: int = 128,
        image_size: int = 112,
        batch_size: int = 32,
        val_fraction: float = 0.25,
        detector: str = "yunet.2023mar",
        seed: int = 0,
    ) -> None:
        if loss not in LOSSES:
            raise ConfigError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
        if backbone != "mobilenet_v2":
            raise ConfigError(f"backbone {backbone!r} is not supported for faces; use mobilenet_v2")
        self.data = Path(data)
        self.loss_name, self.backbone, self.pretrained = loss, backbone, pretrained
        self.dim, self.image_size, self.batch_size = int(dim), int(image_size), int(batch_size)
        self.report = BatchReport()
        people = sorted(p for p in self.data.iterdir() if p.is_dir()) if self.data.is_dir() else []
        if len(people) < 2:
            raise ConfigError(
                f"{self.data} needs one sub-folder of photos per person, at least 2; "
                f"found {len(people)}"
            )
        self.people = [p.name for p in people]
        chips, labels, rng = [], [], np.random.default_rng(seed)
        self._prepare(people, detector, chips, labels)
        if not chips:
            raise ConfigError(f"no usable face in {self.data} ({self.report.summary()})")
        chips_a, labels_a = np.stack(chips), np.asarray(labels)
        val = np.zeros(len(labels_a), bool)
        for k in np.unique(labels_a):
            idx = rng.permutation(np.flatnonzero(labels_a == k))
            n_val = int(round(len(idx) * val_fraction)) if len(idx) > 1 else 0
            val[idx[: min(n_val, len(idx) - 1)]] = True
        if not val.any():  # too small to hold out: validate on the training photos
            val[:] = True
        train = ~val if (~val).any() else np.ones(len(labels_a), bool)
        self.train_set = _Chips(chips_a[train], labels_a[train], augment=True)
        self.val_set = _Chips(chips_a[val], labels_a[val], augment=False)
        self.threshold = 0.5

    def _prepare(self, people: list[Path], detector: str, chips: list, labels: list) -> None:
        det = FaceDetector(detector)
        tpl = ARCFACE_112 * (self.image_size / 112.0)
        for k, person in enumerate(people):
            for f in expand_sources(person):
                try:
                    img = load_image(f)
                except Exception as exc:  # noqa: BLE001 - reported, training goes on
                    self.report.add_bad(f, exc)
                    continue
                faces = det.predict(img)
                if not len(faces):
                    self.report.add_bad(f, "no face found")
                    continue
                xyxy = faces.xyxy
                i = int(np.argmax((xyxy[:, 2] - xyxy[:, 0]) * (xyxy[:, 3] - xyxy[:, 1])))
                lms = faces.landmarks[i]
                chips.append(align_face(img, lms, size=self.image_size, template=tpl))
                labels.append(k)
                self.report.ok += 1

    def describe(self) -> dict[str, Any]:
        return {
            "arch": f"{self.backbone}-face{self.dim}",
            "loss": self.loss_name,
            "people": self.people,
            "image_size": self.image_size,
        }

    def build_model(self) -> nn.Module:
        from foveal.nn.losses import ArcFaceLoss, TripletLoss
        from foveal.zoo.load import load_model

        if self.pretrained:
            backbone = load_model("mobilenet_v2.imagenet")
        else:
            from foveal.nn.backbones.mobilenetv2 import mobilenet_v2

            backbone = mobilenet_v2()
        net = FaceEmbedNet(backbone, backbone.num_features, self.dim)
        loss: nn.Module = (
            ArcFaceLoss(self.dim, len(self.people), scale=32.0, margin=0.3)
            if self.loss_name == "arcface"
            else TripletLoss(margin=0.2)
        )
        return FaceTrainModel(net, loss)

    def train_loader(self) -> Any:
        # BatchNorm needs 2+ samples per batch: drop a last batch of one
        drop = len(self.train_set) % self.batch_size == 1
        return torch.utils.data.DataLoader(
            self.train_set, batch_size=self.batch_size, shuffle=True, drop_last=drop
        )

    def val_loader(self) -> Any:
        return torch.utils.data.DataLoader(self.val_set, batch_size=self.batch_size, shuffle=False)

    def training_step(self, model: nn.Module, batch: Any) -> dict[str, Any]:
        x, y = batch
        emb = model(x)
        bare = model.module if hasattr(model, "module") else model
        loss = bare.loss(emb, y)
        return {"loss": loss}

    def evaluate(self, model: nn.Module, loader: Any) -> dict[str, float]:
        from foveal.evaluate.faces import verification_metrics

        bare = model.module if hasattr(model, "module") else model
        embs, labels = [], []
        for x, y in loader:
            embs.append(nn.functional.normalize(bare.embedder(x), dim=1).cpu())
            labels.append(y.cpu())
        e = torch.cat(embs).numpy()
        lab = torch.cat(labels).numpy()
        iu = np.triu_indices(len(e), 1)
        d = (1.0 - e @ e.T)[iu]
        same = (lab[:, None] == lab[None, :])[iu]
        if same.all() or not same.any():
            return {"verification_auc": float("nan"), "verification_accuracy": float("nan")}
        m = verification_metrics(d, same)
        self.threshold = float(m["best_threshold"])
        return {
            "verification_auc": float(m["auc"]),
            "verification_accuracy": float(m["best_accuracy"]),
            "threshold": self.threshold,
        }

    def export(self, model: nn.Module, run_dir: Path) -> Path:
        bare = model.module if hasattr(model, "module") else model
        out = Path(run_dir) / "face_embedder.onnx"
        threshold = self.threshold if np.isfinite(self.threshold) and self.threshold > 0 else 0.5
        export_trained_embedder(
            NormalizedEmbedder(bare.embedder).eval(),
            out,
            name=f"{self.backbone}-face{self.dim}",
            dim=self.dim,
            image_size=self.image_size,
            threshold=threshold,
            extra={"people": self.people, "loss": self.loss_name},
        )
        return out


def train_face_embedder(
    data: str | os.PathLike, config: TrainConfig | None = None, **options: Any
) -> Any:
    """``foveal train faces DATA``: fine-tune a face embedder (``options``: :class:`FaceRecipe`'s)
    on the training engine; photos without a usable face are listed on stdout and skipped.
    Returns the engine's ``FitResult`` (its ``export_path`` runs with ``--embedder``)."""
    from foveal.train import Trainer

    recipe = FaceRecipe(data, **options)
    if recipe.report.bad:
        print(recipe.report.summary())
    return Trainer(recipe, config or TrainConfig()).fit()  # type: ignore[arg-type]
