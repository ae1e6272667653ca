"""Train a U-Net on ``DATA/images`` + ``DATA/masks`` with :class:`foveal.train.Trainer`.

Each epoch draws ``crops_per_epoch`` random ``crop x crop`` windows from the training images
(flips, 90-degree turns, elastic deformation, brightness/contrast jitter), however many images
there are: the schedule is counted in samples seen (``epochs * crops_per_epoch``), so 15 images
and 1,500 get the same number of optimiser steps. Validation runs on whole validation images after
every epoch; the model of the last epoch is kept (the schedule decays the learning rate to the
end), so the validation images only report, they never pick. The validation images are
``--val-data`` (a second folder) or, without it, ``val_fraction`` of the sorted file names, evenly
spaced (so the split is fixed and repeatable).

>>> default_config(epochs=2).epochs, SegmentTrainOptions("membrane/").crops_per_epoch
(2, 512)

Training itself (about 22 CPU-minutes with the defaults: 12-15 minutes on 2 idle cores)::

    train_segmenter(SegmentTrainOptions("membrane/"))  # default_config()
"""

from __future__ import annotations

import copy
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from foveal.errors import ConfigError
from foveal.nn.losses.segmentation import LOSSES
from foveal.zoo.meta import IMAGENET_MEAN, IMAGENET_STD, ModelMeta, Preprocess

ENCODERS: dict[str, str | None] = {
    "mobilenet_v2": "mobilenet_v2.imagenet",
    "efficientnet_lite0": "efficientnet_lite0.imagenet",
    "classic": None,
}
"""U-Net encoders: the zoo classifier whose pretrained weights each starts from."""


@dataclass(frozen=True)
class SegmentTrainOptions:
    """What to train: data, encoder, crops and the loss (how long: :class:`TrainConfig`)."""

    data: str
    encoder: str = "mobilenet_v2"
    pretrained: bool = True
    val_data: str | None = None
    val_fraction: float = 0.25
    crop: int = 256
    crops_per_epoch: int = 512
    batch_size: int = 8
    loss: str = "ce_dice"
    elastic: float = 0.5
    seed: int = 0

    def validate(self) -> None:
        if self.encoder not in ENCODERS:
            raise ConfigError(
                f"encoder {self.encoder!r} is not one of {', '.join(ENCODERS)}; pick one of them"
            )
        if self.loss not in LOSSES:
            raise ConfigError(f"loss {self.loss!r} is not one of {', '.join(LOSSES)}")
        if self.crop < 32 or self.crop % 32:
            raise ConfigError(f"crop must be a multiple of 32 and at least 32, got {self.crop}")
        if not 0 < self.val_fraction < 1:
            raise ConfigError(
                f"val_fraction must be within 0..1 (exclusive), got {self.val_fraction}"
            )
        if self.crops_per_epoch < 1 or self.batch_size < 1:
            raise ConfigError("crops_per_epoch and batch_size must be at least 1")
        if not 0 <= self.elastic <= 1:
            raise ConfigError(f"elastic is a probability within 0..1, got {self.elastic}")


DEFAULT_EPOCHS = 12
"""Epochs of ``crops_per_epoch`` (512) samples: 6,144 crops, 768 optimiser steps at batch 8."""
DEFAULT_LR = 1e-3


def default_config(**changes: Any) -> Any:
    """The :class:`foveal.train.TrainConfig` of ``foveal train segment`` without options:
    :data:`DEFAULT_EPOCHS` epochs, AdamW at :data:`DEFAULT_LR` with one warm-up epoch and
    cosine decay, bf16 autocast where the CPU computes bf16 natively
    (:func:`foveal.train.hardware.native_bf16`); ``changes`` override fields."""
    from foveal.train import TrainConfig
    from foveal.train.hardware import native_bf16

    base: dict[str, Any] = {"epochs": DEFAULT_EPOCHS, "lr": DEFAULT_LR, "amp": native_bf16()}
    return TrainConfig(**{**base, **changes})


def _log(msg: str) -> None:
    if os.environ.get("RANK", "0") == "0":
        print(msg, file=sys.stderr, flush=True)


def split_evenly(n: int, fraction: float) -> list[int]:
    """Indices of ``round(n * fraction)`` (at least 1) items evenly spaced over ``0..n-1``.

    >>> split_evenly(20, 0.25)
    [0, 5, 10, 14, 19]
    """
    k = min(max(1, round(n * fraction)), n - 1)
    return sorted({int(round(i)) for i in np.linspace(0, n - 1, k)})


def load_pairs(pairs: list[tuple[Path, Path]], mask_values: tuple[int, ...]) -> list[Any]:
    """Decoded ``(RGB image, class-id mask)`` pairs."""
    from foveal.data.segmentation import read_mask, to_class_ids
    from foveal.io import load_image

    out = []
    for img, msk in pairs:
        out.append((load_image(img), to_class_ids(read_mask(msk), mask_values, str(msk))))
    return out


def normalise(image: np.ndarray, pre: Preprocess) -> np.ndarray:
    """RGB uint8 ``(H, W, 3)`` -> float32 ``(3, H, W)`` with the model's scale, mean and std."""
    x = image.astype(np.float32) * pre.scale
    x = (x - np.asarray(pre.mean, np.float32)) / np.asarray(pre.std, np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1))


class CropDataset:
    """``crops_per_epoch`` augmented random crops (torch Dataset protocol)."""

    def __init__(self, pairs: list[Any], opts: SegmentTrainOptions, pre: Preprocess) -> None:
        self.pairs, self.opts, self.pre = pairs, opts, pre

    def __len__(self) -> int:
        return self.opts.crops_per_epoch

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        from foveal.tasks.segment.augment import augment_pair

        rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,))))
        image, mask = self.pairs[i % len(self.pairs)]
        img, msk = augment_pair(image, mask, rng, crop=self.opts.crop, elastic_p=self.opts.elastic)
        return torch.from_numpy(normalise(img, self.pre)), torch.from_numpy(msk.astype(np.int64))


class WholeImages:
    """Validation: whole images padded (reflect) to a multiple of the network's stride."""

    def __init__(self, pairs: list[Any], pre: Preprocess, multiple: int) -> None:
        self.pairs, self.pre, self.multiple = pairs, pre, multiple

    def __iter__(self) -> Any:
        import cv2

        for image, mask in self.pairs:
            h, w = mask.shape
            ph, pw = -h % self.multiple, -w % self.multiple
            padded = cv2.copyMakeBorder(image, 0, ph, 0, pw, cv2.BORDER_REFLECT_101)
            yield torch.from_numpy(normalise(padded, self.pre))[None], mask


class SegmentationRecipe:
    """The training recipe for semantic segmentation (see :mod:`foveal.train.recipe`)."""

    name = "segment"
    main_metric = "miou"
    mode = "max"
    select = "last"  # a fixed schedule: keep the last epoch, the validation split only reports

    def __init__(self, options: SegmentTrainOptions) -> None:
        from foveal.data.segmentation import find_pairs, load_segmentation_data

        options.validate()
        self.options = o = options
        data = load_segmentation_data(o.data)
        self.labels, self.mask_values = data.labels, data.mask_values
        self.palette = data.palette
        if o.val_data:
            load_segmentation_data(o.val_data)  # checked; values outside the convention fail below
            train_pairs, val_pairs = data.pairs, find_pairs(o.val_data)
        else:
            if len(data.pairs) < 2:
                raise ConfigError(
                    f"{o.data} holds {len(data.pairs)} image; at least 2 are needed to hold "
                    "one out for validation (or give --val-data)"
                )
            held = set(split_evenly(len(data.pairs), o.val_fraction))
            train_pairs = [p for i, p in enumerate(data.pairs) if i not in held]
            val_pairs = [p for i, p in enumerate(data.pairs) if i in held]
        self.train_names = [p[0].name for p in train_pairs]
        self.val_names = [p[0].name for p in val_pairs]
        self.train_pairs = load_pairs(train_pairs, self.mask_values)
        self.val_pairs = load_pairs(val_pairs, self.mask_values)
        self.preprocess = Preprocess(
            input_size=(o.crop, o.crop),
            resize=None,
            crop=False,
            mean=IMAGENET_MEAN,
            std=IMAGENET_STD,
        )
        _log(
            f"foveal: {len(self.labels)} classes (mask values {list(self.mask_values)}), "
            f"{len(self.train_pairs)} training and {len(self.val_pairs)} validation images; "
            f"validation: {', '.join(self.val_names[:8])}"
            f"{' ...' if len(self.val_names) > 8 else ''}"
        )

    # -- contract -------------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        o = self.options
        return {
            "arch": f"unet_{o.encoder}",
            "encoder": o.encoder,
            "pretrained": o.pretrained,
            "classes": list(self.labels),
            "mask_values": list(self.mask_values),
            "crop": o.crop,
            "crops_per_epoch": o.crops_per_epoch,
            "batch_size": o.batch_size,
            "loss": o.loss,
            "elastic": o.elastic,
            "data": str(o.data),
            "val_data": o.val_data,
            "train_images": self.train_names,
            "val_images": self.val_names,
            "seed": o.seed,
        }

    def build_model(self) -> nn.Module:
        from foveal.nn.unet import UNet

        o = self.options
        net = UNet(3, len(self.labels), encoder=o.encoder)
        if o.pretrained and ENCODERS[o.encoder]:
            load_encoder_weights(net, ENCODERS[o.encoder])
        return net

    def train_loader(self) -> Any:
        from torch.utils.data import DataLoader

        ds = CropDataset(self.train_pairs, self.options, self.preprocess)
        return DataLoader(ds, batch_size=self.options.batch_size, shuffle=True, drop_last=False)

    def val_loader(self) -> Any:
        return WholeImages(self.val_pairs, self.preprocess, 32)

    def training_step(self, model: nn.Module, batch: Any) -> dict[str, Any]:
        from foveal.nn.losses.segmentation import segmentation_loss

        x, y = batch
        logits = model(x).float()
        loss = segmentation_loss(logits, y, self.options.loss)
        return {"loss": loss}

    def evaluate(self, model: nn.Module, loader: Any) -> dict[str, float]:
        from foveal.evaluate.segmentation import confusion, segmentation_metrics

        k = len(self.labels)
        cm = np.zeros((k, k), np.int64)
        dev = next(model.parameters()).device
        for x, mask in loader:
            h, w = mask.shape
            pred = model(x.to(dev)).float().argmax(1)[0, :h, :w].cpu().numpy()
            cm += confusion(pred, mask, k)
        m = segmentation_metrics(cm, self.labels)
        out = {"miou": m["miou"], "pixel_error": m["pixel_error"], "mean_dice": m["mean_dice"]}
        for name, v in m["dice"].items():
            out[f"dice_{name}"] = float("nan") if v is None else v
        return out

    def export(self, model: nn.Module, run_dir: Path) -> Path:
        from foveal.tasks.segment.export import export_unet

        tag = "".join(
            ch if ch.isalnum() or ch in "-_" else "_"
            for ch in Path(self.options.data).resolve().name
        )
        meta = ModelMeta(
            name=f"unet_{self.options.encoder}.{tag or 'custom'}",
            task="segment",
            labels=tuple(self.labels),
            preprocess=self.preprocess,
            params={
                "mask_values": list(self.mask_values),
                "multiple": 32,
                **({"palette": list(self.palette)} if self.palette else {}),
            },
        )
        out = run_dir / "model.onnx"
        export_unet(copy.deepcopy(model).cpu(), meta, out)
        return out


def load_encoder_weights(net: nn.Module, zoo_name: str) -> None:
    """Load a zoo classifier's pretrained weights into a U-Net's backbone encoder (the
    classifier head is left out)."""
    from foveal.errors import FovealError
    from foveal.zoo import get
    from foveal.zoo.load import load_state_dict
    from foveal.zoo.registry import load_callable
    from foveal.zoo.resolve import resolve_weights

    spec = get(zoo_name)
    sd = load_state_dict(resolve_weights(spec))
    convert = spec.extra.get("convert_state_dict")
    if convert:
        sd = load_callable(convert)(sd)
    missing, _ = net.encoder.load_state_dict(sd, strict=False)  # unexpected: the classifier
    if missing:
        raise FovealError(f"weights of {zoo_name} do not fit the U-Net encoder: {missing[:5]}")


def train_segmenter(options: SegmentTrainOptions, config: Any = None) -> Any:
    """Train and export (``config``: :func:`default_config` if not given); returns
    :class:`foveal.train.FitResult` (``run_dir`` holds ``model.onnx``)."""
    from foveal.train import Trainer

    return Trainer(SegmentationRecipe(options), config or default_config()).fit()
