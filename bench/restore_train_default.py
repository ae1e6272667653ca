"""Train foveal's shipped default denoiser (``restore.default``): reproducible, seed fixed.

Colour blind Gaussian denoiser (sigma 10-40 on the 0-255 scale) trained on random 64 px crops of
photos that the acceptance benchmark (``bench/restore_denoise.py``) never sees: the hymenoptera
training photos, the face-recognition people photos, the BCCD training images and vtest frames.
Test photos (skimage astronaut/coffee/chelsea/rocket, sklearn china/flower) are not used here.

    PYTHONPATH=src python bench/restore_train_default.py --out runs/restore_default \
        --iters 1500 --seed 0

writes ``model.pt`` (state dict) and ``restore_unet_gaussian.onnx`` (with foveal's metadata);
copy the ONNX file to ``src/foveal/zoo/files/`` and its sha256 into
``src/foveal/zoo/catalog/restoration.py`` to ship it. Takes ~20-30 min on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from foveal.nn.restore import RestoreUNet

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def training_photos(shared: Path) -> list[np.ndarray]:
    """RGB uint8 training photos (never the benchmark's test photos)."""
    files = sorted((shared / "classification/hymenoptera/train").rglob("*.jpg"))
    files += sorted((shared / "faces/people/train").rglob("*.jpg"))
    bccd = shared / "detection/bccd/BCCD"
    names = (bccd / "ImageSets/Main/train.txt").read_text().split()[::4]
    files += [bccd / "JPEGImages" / f"{n}.jpg" for n in names]
    images = []
    for f in files:
        im = cv2.imread(str(f), cv2.IMREAD_COLOR)
        if im is not None and min(im.shape[:2]) >= 96:
            images.append(np.ascontiguousarray(im[:, :, ::-1]))
    cap = cv2.VideoCapture(str(shared / "video/vtest.avi"))
    for i in range(0, 795, 80):
        cap.set(cv2.CAP_PROP_POS_FRAMES, i)
        ok, frame = cap.read()
        if ok:
            images.append(np.ascontiguousarray(frame[:, :, ::-1]))
    return images


def sample_batch(images, rng, batch: int, crop: int) -> torch.Tensor:
    out = np.empty((batch, crop, crop, 3), np.uint8)
    for b in range(batch):
        im = images[rng.integers(len(images))]
        y = rng.integers(im.shape[0] - crop + 1)
        x = rng.integers(im.shape[1] - crop + 1)
        c = im[y : y + crop, x : x + crop]
        c = np.rot90(c, rng.integers(4))
        out[b] = c[:, ::-1] if rng.random() < 0.5 else c
    return torch.from_numpy(out).permute(0, 3, 1, 2).float() / 255.0


def add_noise(clean: torch.Tensor, rng, lo: float, hi: float) -> torch.Tensor:
    sig = torch.from_numpy(rng.uniform(lo, hi, (clean.shape[0], 1, 1, 1))).float() / 255.0
    gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
    noisy = clean + sig * torch.randn(clean.shape, generator=gen)
    clip = torch.from_numpy(rng.random((clean.shape[0], 1, 1, 1)) < 0.5)
    return torch.where(clip, noisy.clamp(0, 1), noisy)


def export(net: torch.nn.Module, path: Path) -> None:
    """The ONNX file with foveal's metadata, as the package ships it; prints its sha256."""
    from foveal.tasks.restore.train import export_restore_onnx
    from foveal.zoo.resolve import sha256_file

    export_restore_onnx(net.eval(), path, name="restore_unet.gaussian", degrade="gaussian:10-40")
    print(f"{path}: sha256 {sha256_file(path)}, {path.stat().st_size / 1e6:.2f} MB", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/restore_default")
    ap.add_argument("--shared", default=str(SHARED))
    ap.add_argument("--iters", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--crop", type=int, default=64)
    ap.add_argument("--width", type=int, default=48)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--init", help="start from this model.pt (the second phase)")
    ap.add_argument("--export-only", action="store_true", help="export OUT/model.pt only")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.export_only:
        net = RestoreUNet(3, args.width)
        net.load_state_dict(torch.load(out / "model.pt", weights_only=True))
        export(net, out / "restore_unet_gaussian.onnx")
        return
    images = training_photos(Path(args.shared))
    print(f"{len(images)} training photos", flush=True)
    net = RestoreUNet(3, args.width)
    if args.init:
        net.load_state_dict(torch.load(args.init, weights_only=True))
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    warm = 50

    def lr_at(i: int) -> float:
        if i < warm:
            return (i + 1) / warm
        t = (i - warm) / max(1, args.iters - warm)
        return 0.005 + 0.995 * 0.5 * (1 + math.cos(math.pi * t))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    t0 = time.perf_counter()
    run = 0.0
    for i in range(args.iters):
        clean = sample_batch(images, rng, args.batch, args.crop)
        noisy = add_noise(clean, rng, 10.0, 40.0)
        loss = (net(noisy) - clean).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        run = 0.98 * run + 0.02 * loss.item() if i else loss.item()
        if (i + 1) % 50 == 0 or i + 1 == args.iters:
            print(f"it {i + 1} l1 {run:.4f} {time.perf_counter() - t0:.0f}s", flush=True)
            torch.save(net.state_dict(), out / "model.tmp")
            (out / "model.tmp").replace(out / "model.pt")
    export(net, out / "restore_unet_gaussian.onnx")
    print(f"done in {time.perf_counter() - t0:.0f}s -> {out}", flush=True)


if __name__ == "__main__":
    main()
