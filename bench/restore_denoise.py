"""Acceptance benchmark: colour denoising at sigma=25, foveal vs BM3D vs OpenCV non-local means.

Test images: 256x256 centre crops of scikit-image's astronaut, coffee, chelsea and rocket and
scikit-learn's two sample images (china, flower). None of them is used to train the shipped model
(it trains on hymenoptera, people, BCCD and vtest photos: bench/restore_train_default.py).
Noise: additive white Gaussian, sigma 25/255, fixed seed, not clipped (the standard protocol);
BM3D (PyPI bm3d, ``bm3d_rgb``, sigma_psd=25/255) and foveal get the same float images; OpenCV's
``fastNlMeansDenoisingColored`` needs uint8, so it gets them clipped and rounded
(h = hColor = 15, 7x7 patches, 21x21 search; not tuned). Every method runs single-threaded
(ONNX Runtime threads=1) in the same process, one after the other.

    PYTHONPATH=src FOVEAL_WEIGHTS_PATH=../shared/weights FOVEAL_OFFLINE=1 \
        python bench/restore_denoise.py [--model RUN_OR_ONNX] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None, help="run folder or .onnx (default: shipped)")
    ap.add_argument("--sigma", type=float, default=25.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-bm3d", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    import cv2

    from foveal.bench.promise.restoration import bm3d_denoise, nlm_denoise, test_crops
    from foveal.tasks import TASKS
    from foveal.tasks.restore.evaluate import score

    cv2.setNumThreads(1)
    restorer = TASKS["restore"].load(model=args.model, threads=1)
    sigma = args.sigma / 255.0
    rng = np.random.default_rng(args.seed)
    crops = test_crops()
    noisy = {
        n: (c + rng.standard_normal(c.shape).astype(np.float32) * sigma) for n, c in crops.items()
    }

    def foveal_fn(x: np.ndarray) -> np.ndarray:
        return restorer.restore_array(x.transpose(2, 0, 1)).transpose(1, 2, 0)

    def bm3d_fn(x: np.ndarray) -> np.ndarray:
        return bm3d_denoise(x, sigma)

    methods = {"noisy input": lambda x: x, "foveal " + restorer.name: foveal_fn}
    methods["opencv nl-means"] = nlm_denoise
    if not args.skip_bm3d:
        methods["bm3d 4.0.3 (rgb)"] = bm3d_fn
    foveal_fn(next(iter(noisy.values())))  # warm-up (session, first-call allocations)
    table = {}
    for method, fn in methods.items():
        rows, secs = {}, 0.0
        for name, x in noisy.items():
            t0 = time.perf_counter()
            out = fn(x)
            secs += time.perf_counter() - t0
            rows[name] = score(out, crops[name])
        table[method] = {
            "psnr": float(np.mean([r["psnr"] for r in rows.values()])),
            "ssim": float(np.mean([r["ssim"] for r in rows.values()])),
            "seconds_per_image": secs / len(rows),
            "per_image_psnr": {k: round(v["psnr"], 2) for k, v in rows.items()},
        }
    if args.json:
        print(json.dumps(table, indent=2))
        return
    print(
        f"sigma={args.sigma:g}, {len(crops)} crops 256x256 ({', '.join(crops)}), seed {args.seed}"
    )
    print(f"{'method':34s} {'PSNR':>7s} {'SSIM':>6s} {'s/img':>8s}")
    for method, r in table.items():
        print(f"{method:34s} {r['psnr']:7.2f} {r['ssim']:6.3f} {r['seconds_per_image']:8.3f}")
    for method, r in table.items():
        print(f"  {method}: {r['per_image_psnr']}")
    fov = table["foveal " + restorer.name]
    if "bm3d 4.0.3 (rgb)" in table:
        b = table["bm3d 4.0.3 (rgb)"]
        print(
            f"foveal - BM3D: {fov['psnr'] - b['psnr']:+.2f} dB; time ratio "
            f"1/{b['seconds_per_image'] / fov['seconds_per_image']:.0f}"
        )


if __name__ == "__main__":
    main()
