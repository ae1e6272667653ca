"""Restoration in the promise benchmark: BM3D and OpenCV non-local means vs foveal's shipped
denoiser, sigma=25 Gaussian noise on crops of photos the model was not trained on (PSNR).

The same crops and peers serve ``bench/restore_denoise.py`` (the full acceptance table).

>>> sorted(test_crops(64))[:2]
['astronaut', 'chelsea']
"""

from __future__ import annotations

import time

import numpy as np

from foveal.bench.promise.core import Row, Settings, Skip, fmt_row


def test_crops(size: int = 256) -> dict[str, np.ndarray]:
    """Centre crops (RGB float32 in [0, 1]) of scikit-image's astronaut, coffee, chelsea, rocket
    and scikit-learn's china and flower; none is used to train the shipped model."""
    from skimage import data
    from sklearn.datasets import load_sample_images

    images = {n: getattr(data, n)() for n in ("astronaut", "coffee", "chelsea", "rocket")}
    for name, img in zip(("china", "flower"), load_sample_images().images, strict=True):
        images[name] = img
    out = {}
    for name, img in images.items():
        h, w = img.shape[:2]
        y, x = (h - size) // 2, (w - size) // 2
        out[name] = img[y : y + size, x : x + size, :3].astype(np.float32) / 255.0
    return out


def bm3d_denoise(x: np.ndarray, sigma: float) -> np.ndarray:
    """BM3D (PyPI ``bm3d``, colour: ``bm3d_rgb``); ``sigma`` on the [0, 1] scale."""
    try:
        import bm3d
    except ModuleNotFoundError:
        raise Skip("bm3d is not installed (pip install bm3d)") from None
    return np.asarray(bm3d.bm3d_rgb(x, sigma), np.float32)


def nlm_denoise(x: np.ndarray, h: float = 15.0) -> np.ndarray:
    """OpenCV's ``fastNlMeansDenoisingColored`` (uint8: the input is clipped and rounded)."""
    import cv2

    u8 = np.clip(x * 255 + 0.5, 0, 255).astype(np.uint8)
    return cv2.fastNlMeansDenoisingColored(u8, None, h, h, 7, 21).astype(np.float32) / 255


def run_restoration(cfg: Settings) -> list[Row]:
    """Three 96x96 crops (kept small: BM3D takes seconds per crop), sigma 25, one seed; the
    full table is ``bench/restore_denoise.py``."""
    from foveal.tasks import TASKS
    from foveal.tasks.restore.evaluate import score

    sigma = 25 / 255
    rng = np.random.default_rng(cfg.seed)
    crops = {k: v for k, v in test_crops(96).items() if k in ("astronaut", "coffee", "china")}
    noisy = {
        k: c + rng.standard_normal(c.shape).astype(np.float32) * sigma for k, c in crops.items()
    }

    def foveal_fn(x: np.ndarray) -> np.ndarray:
        restorer = TASKS["restore"].load()
        return restorer.restore_array(x.transpose(2, 0, 1)).transpose(1, 2, 0)

    methods = [
        ("noisy input (sigma 25)", "classical", lambda x: x),
        ("OpenCV non-local means", "classical", nlm_denoise),
        ("BM3D (bm3d_rgb)", "classical", lambda x: bm3d_denoise(x, sigma)),
        ("foveal restore_unet.gaussian", "deep", foveal_fn),
    ]
    rows = []
    cfg.log("restoration: sigma=25 denoising, 3 crops 96x96 (PSNR dB)")
    for name, kind, fn in methods:
        row = Row("restoration", "skimage+sklearn crops", name, kind, "PSNR dB")
        try:
            if kind == "deep":
                fn(noisy["astronaut"])  # warm-up (model load) outside the timing
            t = time.perf_counter()
            scores = [score(fn(x), crops[k]) for k, x in noisy.items()]
            elapsed = time.perf_counter() - t
            row.value = float(np.mean([s["psnr"] for s in scores]))
            row.time_s, row.per_item_ms = elapsed, 1000 * elapsed / len(scores)
            row.extra = {"ssim": float(np.mean([s["ssim"] for s in scores]))}
        except Skip as exc:
            row.note = str(exc)
        except Exception as exc:  # noqa: BLE001 - a failing method is a row with a note
            row.note = f"failed: {type(exc).__name__}: {exc}"
        rows.append(row)
        cfg.log(f"  {fmt_row(row)}")
    return rows
