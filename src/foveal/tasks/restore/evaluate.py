"""PSNR and SSIM (scikit-image) of a restoration model against clean references.

Two ways to give the data: ``images`` degraded and ``references`` clean, paired by file name;
or only clean ``references`` and a ``degrade`` spec, applied with a fixed seed.

>>> import foveal.tasks.restore.evaluate as ev
>>> ev.score(np.zeros((8, 8, 3), np.float32), np.zeros((8, 8, 3), np.float32))["psnr"]
99.0
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import ConfigError
from foveal.tasks.restore.degrade import apply_degradations, parse_degradations


def score(restored: np.ndarray, clean: np.ndarray) -> dict[str, float]:
    """PSNR (dB) and SSIM of float images in [0, 1], ``(H, W, C)`` or ``(H, W)``."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    restored = np.clip(restored, 0.0, 1.0)
    mse = float(np.mean((restored - clean) ** 2))
    p = 99.0 if mse <= 1e-10 else float(peak_signal_noise_ratio(clean, restored, data_range=1.0))
    axis = 2 if clean.ndim == 3 else None
    side = min(clean.shape[:2])
    win = min(7, side if side % 2 else side - 1)
    s = float(
        structural_similarity(clean, restored, data_range=1.0, channel_axis=axis, win_size=win)
    )
    return {"psnr": p, "ssim": s}


def _images(folder: str | os.PathLike, what: str) -> dict[str, Path]:
    from foveal.io.sources import is_image_file

    root = Path(folder)
    if not root.is_dir():
        raise ConfigError(f"{what} {folder!r} is not a folder; expected a folder of images")
    found = {p.stem: p for p in sorted(root.iterdir()) if p.is_file() and is_image_file(p)}
    if not found:
        raise ConfigError(f"{what} folder {folder} holds no images (.jpg, .png, ...)")
    return found


def evaluate_restorer(
    references: str | os.PathLike,
    *,
    images: str | os.PathLike | None = None,
    degrade: str | None = None,
    model: str | os.PathLike | None = None,
    seed: int = 0,
    tile: int = 512,
) -> dict[str, Any]:
    """Mean PSNR/SSIM of the degraded inputs and of the restored images, and seconds per image.

    Args:
        references: folder of clean images.
        images: folder of degraded images with the same names (stems); or
        degrade: a degradation spec (``gaussian:25``) applied to the references with ``seed``.
    """
    from foveal.io import load_image
    from foveal.tasks import TASKS

    if (images is None) == (degrade is None):
        raise ConfigError(
            "give either degraded images (--images DIR, same names as the references) or "
            "--degrade SPEC to degrade the references, not both"
        )
    refs = _images(references, "references")
    pairs: list[tuple[str, Path, Path | None]]
    if images is not None:
        noisy = _images(images, "degraded images")
        missing = sorted(set(noisy) - set(refs))
        if missing:
            raise ConfigError(
                f"{len(missing)} degraded image(s) have no reference of the same name in "
                f"{references} (e.g. {missing[0]!r}); name each reference like its image"
            )
        pairs = [(k, refs[k], noisy[k]) for k in sorted(noisy)]
        unpaired = sorted(set(refs) - set(noisy))
    else:
        pairs = [(k, refs[k], None) for k in sorted(refs)]
        unpaired = []
    steps = parse_degradations(degrade) if degrade else []
    restorer = TASKS["restore"].load(model=None if model is None else os.fspath(model))
    grey = restorer.channels == 1
    opts = restorer.options(tile=tile)
    rng = np.random.default_rng(seed)
    rows, seconds = [], 0.0
    for name, ref_path, img_path in pairs:
        clean = _as_input(load_image(ref_path), grey)
        if img_path is None:
            x = apply_degradations(clean, steps, rng)
        else:
            x = _as_input(load_image(img_path), grey)
            if x.shape != clean.shape:
                raise ConfigError(
                    f"{img_path.name} is {x.shape[1]}x{x.shape[0]} but its reference is "
                    f"{clean.shape[1]}x{clean.shape[0]}; they must be the same size"
                )
        t0 = time.perf_counter()
        out = restorer.restore_array(x.transpose(2, 0, 1), opts).transpose(1, 2, 0)
        seconds += time.perf_counter() - t0
        before, after = score(x, clean), score(out, clean)
        rows.append(
            {
                "image": name,
                "psnr_input": before["psnr"],
                "ssim_input": before["ssim"],
                "psnr": after["psnr"],
                "ssim": after["ssim"],
            }
        )
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0] if k != "image"}
    return {
        "model": restorer.name,
        "images": len(rows),
        **mean,
        "seconds_per_image": seconds / len(rows),
        "references_without_image": unpaired,
        "per_image": rows,
    }


def _as_input(rgb: np.ndarray, grey: bool) -> np.ndarray:
    x = rgb.astype(np.float32) / 255.0
    if grey:
        return (x @ np.array([0.299, 0.587, 0.114], np.float32))[:, :, None]
    return x
