"""Training recipe for restoration networks (run by the shared :class:`foveal.train.Trainer`).

Supervised: clean images from any folder, degraded on the fly (``--degrade``), the network learns
degraded -> clean. Self-supervised (``self_supervised=True``, for users who only have noisy scans):
Noise2Self-style masking; a random grid of pixels is replaced by the mean of its neighbours in the
input, and the loss compares the output at those pixels with the (noisy) image itself, so no clean
image is ever needed. With ``degrade`` in self-supervised mode the folder's images are taken as
clean and degraded first (for testing the method against references); without it they are used
as they are.

>>> RestoreTrainOptions(data=".", degrade="gaussian:25").validate()   # a folder of clean images
>>> try:
...     RestoreTrainOptions(data=".", degrade=None).validate()
... except ConfigError as exc:
...     print(str(exc).split(";")[0])
supervised training needs degradations (--degrade gaussian:25 ...)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from foveal.data.detection_records import DatasetError
from foveal.errors import ConfigError
from foveal.nn.restore import RestoreUNet
from foveal.tasks.restore.degrade import apply_degradations, parse_degradations
from foveal.zoo.meta import ModelMeta, Preprocess

MAX_PIXELS_IN_MEMORY = 400_000_000
"""Decoded training images are kept in memory (uint8) up to this many values in all."""


@dataclass
class RestoreTrainOptions:
    """Options of ``foveal train restore``."""

    data: str
    degrade: str | None = "gaussian:25"
    self_supervised: bool = False
    channels: int = 3
    width: int = 48
    crop: int = 64
    batch_size: int = 16
    steps_per_epoch: int = 100
    val_fraction: float = 0.1
    val_crop: int = 128
    mask_every: int = 4
    seed: int = 0

    def validate(self) -> None:
        if not Path(self.data).is_dir():
            raise ConfigError(
                f"training data {self.data!r} is not a folder; expected a folder of images"
            )
        if self.channels not in (1, 3):
            raise ConfigError(f"channels is {self.channels}; expected 1 (grey) or 3 (colour)")
        if self.crop < 16 or self.crop % 8:
            raise ConfigError(f"crop is {self.crop}; expected a multiple of 8 of at least 16")
        if self.width < 4 or self.batch_size < 1 or self.steps_per_epoch < 1:
            raise ConfigError("width must be >= 4, batch size and steps per epoch >= 1")
        if not 0.0 < self.val_fraction < 1.0:
            raise ConfigError(f"val fraction is {self.val_fraction}; expected within (0, 1)")
        if self.mask_every < 2:
            raise ConfigError(f"mask_every is {self.mask_every}; expected 2 or more")
        if self.degrade is None and not self.self_supervised:
            raise ConfigError(
                "supervised training needs degradations (--degrade gaussian:25 ...); with only "
                "noisy images use --self-supervised"
            )
        if self.degrade is not None:
            parse_degradations(self.degrade)


def load_folder(folder: str | Path, channels: int, min_side: int) -> list[np.ndarray]:
    """Every image under ``folder`` as uint8 ``(H, W, C)``; a clear error for empty folders,
    unreadable files and images smaller than ``min_side``."""
    from foveal.io import load_image
    from foveal.io.sources import is_image_file

    files = sorted(p for p in Path(folder).rglob("*") if p.is_file() and is_image_file(p))
    if len(files) < 2:
        raise DatasetError(
            f"{folder} holds {len(files)} image(s); restoration training needs at least 2 "
            "(some for training, one for validation): add .jpg/.png images"
        )
    images: list[np.ndarray] = []
    total = 0
    for f in files:
        img = load_image(f)
        if min(img.shape[:2]) < min_side:
            raise DatasetError(
                f"{f} is {img.shape[1]}x{img.shape[0]}; training crops need images of at least "
                f"{min_side}x{min_side}: remove it or pass a smaller --crop"
            )
        if channels == 1:
            img = img.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32) + 0.5
            img = img.astype(np.uint8)[:, :, None]
        total += img.size
        if total > MAX_PIXELS_IN_MEMORY:
            raise DatasetError(
                f"{folder}: the images hold more than {MAX_PIXELS_IN_MEMORY:,} values; training "
                "keeps them in memory: use a smaller folder or downscale the images"
            )
        images.append(img)
    return images


class CropDataset(torch.utils.data.Dataset):
    """Random crops (flipped, rotated) of in-memory images, degraded on the fly.

    Items are ``(input, target, clean)`` float tensors ``(C, crop, crop)``: supervised, target is
    the clean crop; self-supervised, target is the input itself.
    """

    def __init__(self, images: list[np.ndarray], opts: RestoreTrainOptions, length: int) -> None:
        self.images = images
        self.opts = opts
        self.length = length
        self.steps = parse_degradations(opts.degrade) if opts.degrade else []

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, ()).item()))
        img = self.images[int(rng.integers(len(self.images)))]
        c = self.opts.crop
        y = int(rng.integers(img.shape[0] - c + 1))
        x = int(rng.integers(img.shape[1] - c + 1))
        crop = np.rot90(img[y : y + c, x : x + c], int(rng.integers(4)))
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        clean = crop.astype(np.float32) / 255.0
        noisy = apply_degradations(clean, self.steps, rng) if self.steps else clean
        target = noisy if self.opts.self_supervised else clean
        return _chw(noisy), _chw(target), _chw(clean)


def _chw(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))


def val_pairs(images: list[np.ndarray], opts: RestoreTrainOptions) -> list[tuple[Any, ...]]:
    """Fixed validation crops: the centre of every held-out image, degraded with a fixed seed."""
    steps = parse_degradations(opts.degrade) if opts.degrade else []
    rng = np.random.default_rng(opts.seed + 12345)
    out = []
    for img in images:
        h, w = img.shape[:2]
        s = min(opts.val_crop, h - h % 8, w - w % 8)
        y, x = (h - s) // 2, (w - s) // 2
        clean = img[y : y + s, x : x + s].astype(np.float32) / 255.0
        noisy = apply_degradations(clean, steps, rng) if steps else clean
        out.append((_chw(noisy)[None], _chw(clean)[None]))
    return out


def masked_input(x: torch.Tensor, every: int, gen: torch.Generator) -> tuple[torch.Tensor, Any]:
    """Noise2Self masking: one pixel per ``every x every`` cell (random phase) replaced by the
    mean of its 4 neighbours; returns the masked input and the boolean mask ``(N, 1, H, W)``."""
    n, c, h, w = x.shape
    dy, dx = (int(v) for v in torch.randint(0, every, (2,), generator=gen))
    mask = torch.zeros(1, 1, h, w, dtype=torch.bool)
    mask[..., dy::every, dx::every] = True
    kernel = torch.tensor([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=x.dtype) / 4
    padded = nn.functional.pad(x, (1, 1, 1, 1), mode="reflect")
    neigh = nn.functional.conv2d(padded, kernel.expand(c, 1, 3, 3).contiguous(), groups=c)
    return torch.where(mask, neigh, x), mask.expand(n, 1, h, w)


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = float(((a.clamp(0, 1) - b) ** 2).mean())
    return 99.0 if mse <= 1e-10 else 10.0 * math.log10(1.0 / mse)


class RestoreRecipe:
    """The restore recipe (see :mod:`foveal.train.recipe` for the contract)."""

    name = "restore"
    mode = "max"
    main_metric = "psnr"

    def __init__(self, opts: RestoreTrainOptions) -> None:
        opts.validate()
        self.opts = opts
        images = load_folder(opts.data, opts.channels, max(opts.crop, 16))
        rng = np.random.default_rng(opts.seed)
        order = rng.permutation(len(images))
        n_val = max(1, int(round(len(images) * opts.val_fraction)))
        self.val_images = [images[i] for i in order[:n_val]]
        self.train_images = [images[i] for i in order[n_val:]]
        self.has_clean = opts.degrade is not None
        if not self.has_clean:  # self-supervised on the images as they are: no reference
            self.main_metric, self.mode = "masked_mse", "min"
        self.gen = torch.Generator().manual_seed(opts.seed)

    def describe(self) -> dict[str, Any]:
        o = self.opts
        return {
            "arch": f"restore_unet_w{o.width}_c{o.channels}",
            "degrade": o.degrade,
            "self_supervised": o.self_supervised,
            "crop": o.crop,
            "batch_size": o.batch_size,
            "steps_per_epoch": o.steps_per_epoch,
            "train_images": len(self.train_images),
            "val_images": len(self.val_images),
        }

    def build_model(self) -> nn.Module:
        return RestoreUNet(self.opts.channels, self.opts.width)

    def train_loader(self) -> Any:
        o = self.opts
        ds = CropDataset(self.train_images, o, o.steps_per_epoch * o.batch_size)
        return torch.utils.data.DataLoader(ds, batch_size=o.batch_size, shuffle=True)

    def val_loader(self) -> Any:
        return val_pairs(self.val_images, self.opts)

    def training_step(self, model: nn.Module, batch: Any) -> dict[str, Any]:
        noisy, target, _clean = batch
        if not self.opts.self_supervised:
            return {"loss": (model(noisy) - target).abs().mean()}
        masked, mask = masked_input(noisy, self.opts.mask_every, self.gen)
        err = (model(masked) - target) ** 2
        return {"loss": err.masked_select(mask.expand_as(err)).mean()}

    def evaluate(self, model: nn.Module, loader: Any) -> dict[str, float]:
        from foveal.tasks.restore.predict import pad_to_multiple

        scores, before, masked = [], [], []
        for noisy, clean in loader:
            h, w = noisy.shape[2:]
            x = torch.from_numpy(pad_to_multiple(noisy[0].numpy()))[None]
            out = model(x)[..., :h, :w]
            if self.has_clean:
                scores.append(psnr(out, clean))
                before.append(psnr(noisy, clean))
            m_in, mask = masked_input(noisy, self.opts.mask_every, torch.Generator().manual_seed(0))
            err = (
                model(torch.from_numpy(pad_to_multiple(m_in[0].numpy()))[None])[..., :h, :w] - noisy
            ) ** 2
            masked.append(float(err.masked_select(mask.expand_as(err)).mean()))
        out = {"masked_mse": float(np.mean(masked))}
        if self.has_clean:
            out.update(psnr=float(np.mean(scores)), psnr_input=float(np.mean(before)))
        return out

    def export(self, model: nn.Module, run_dir: Path) -> Path:
        return export_restore_onnx(
            model,
            run_dir / "model.onnx",
            name=f"restore_unet.{run_dir.name}",
            degrade=self.opts.degrade,
        )


def export_restore_onnx(model: nn.Module, path: Path, *, name: str, degrade: str | None) -> Path:
    """Write ``model`` as ONNX (any height/width multiple of 8) with its foveal metadata."""
    from foveal.runtime.export import export_onnx

    channels = int(model.channels)  # type: ignore[arg-type]
    meta = ModelMeta(
        name=name,
        task="restore",
        preprocess=Preprocess(
            input_size=(0, 0), resize=None, crop=False, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0)
        ),
        params={"channels": channels, "width": int(model.width), "degrade": degrade or ""},  # type: ignore[arg-type]
    )
    axes = {"image": {0: "n", 2: "h", 3: "w"}, "restored": {0: "n", 2: "h", 3: "w"}}
    export_onnx(
        model.cpu(),
        torch.rand(1, channels, 64, 64),
        path,
        input_names=("image",),
        output_names=("restored",),
        dynamic_axes=axes,
        meta=meta,
        check_inputs=torch.rand(1, channels, 96, 136),
        atol=1e-4,
    )
    return path


def train_restorer(options: RestoreTrainOptions, config: Any = None) -> Any:
    """Train a restoration network with the shared trainer; returns its ``FitResult``."""
    from foveal.train import Trainer

    return Trainer(RestoreRecipe(options), config).fit()  # type: ignore[arg-type]
