"""Classification speed: foveal (ONNX Runtime) vs torchvision eager, MobileNetV2 at 224, same
weights.

Prints, side by side in one run:
  1. batch-1 network latency on the same preprocessed tensor (median of N runs);
  2. end-to-end batch-1 latency per image (decode + preprocess + network), foveal vs torchvision;
  3. folder throughput: foveal's folder mode (decode in threads + its default batches, 2) vs
     foveal one image at a time, nothing in threads.
Targets: foveal >= 2x faster than torchvision at batch 1; batched >= 1.3x batch-1.

    python bench/classify_speed.py [--runs 50] [--images 64]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def timeit(fn, runs: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def make_folder(root: Path, n: int) -> list[Path]:
    from foveal.samples import sample_photos

    photos = [np.asarray(Image.open(p).convert("RGB")) for p in sample_photos().values()]
    rng = np.random.default_rng(0)
    files = []
    for i in range(n):
        img = photos[i % len(photos)]
        h, w = img.shape[:2]
        y, x = rng.integers(0, h // 4), rng.integers(0, w // 4)
        crop = img[y : y + 3 * h // 4, x : x + 3 * w // 4]
        path = root / f"img_{i:04d}.jpg"
        Image.fromarray(crop).save(path, quality=90)
        files.append(path)
    return files


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--images", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=None, help="default: the Classifier's (2)")
    ap.add_argument(
        "--pairs", type=int, default=5, help="interleaved batch-1 / batched folder runs"
    )
    args = ap.parse_args()

    import torch
    import torchvision
    from torchvision import transforms

    from foveal import zoo
    from foveal.io import load_image
    from foveal.runtime.onnx import default_threads
    from foveal.tasks.classify import Classifier, preprocess

    threads = default_threads()
    torch.set_num_threads(threads)
    spec = zoo.get("mobilenet_v2.imagenet")
    clf = Classifier(spec.name)  # ONNX Runtime, exported once into the cache
    args.batch_size = args.batch_size or clf.batch_size
    tv = torchvision.models.mobilenet_v2()
    tv.load_state_dict(torch.load(zoo.resolve_weights(spec), weights_only=True))
    tv.eval()
    tf = transforms.Compose(
        [
            transforms.Resize(256),
            transforms.CenterCrop(224),
            transforms.ToTensor(),
            transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        ]
    )

    with tempfile.TemporaryDirectory() as tmp:
        files = make_folder(Path(tmp), args.images)
        x = preprocess(load_image(files[0]), spec.preprocess)[None]
        xt = torch.from_numpy(x)

        def ours_net():
            clf.logits_and_embeddings(x)

        def tv_net():
            with torch.inference_mode():
                tv(xt)

        net_ours = timeit(ours_net, args.runs)
        net_tv = timeit(tv_net, args.runs)

        def ours_e2e():
            clf.predict(files[1], top_k=5)

        def tv_e2e():
            with torch.inference_mode():
                torch.softmax(tv(tf(Image.open(files[1]).convert("RGB"))[None]), 1).topk(5)

        e2e_ours = timeit(ours_e2e, max(10, args.runs // 2))
        e2e_tv = timeit(tv_e2e, max(10, args.runs // 2))

        def folder(batch_size: int) -> float:
            t0 = time.perf_counter()
            n = sum(
                1
                for _ in clf.predict_batch(
                    files, batch_size=batch_size, workers=None if batch_size > 1 else 1
                )
            )
            assert n == len(files)
            return n / (time.perf_counter() - t0)

        folder(args.batch_size)  # warm-up
        # interleaved pairs, so drifting machine load hits both modes alike
        pairs = [(folder(1), folder(args.batch_size)) for _ in range(args.pairs)]
        tput_b1 = statistics.median(p[0] for p in pairs)
        tput_b16 = statistics.median(p[1] for p in pairs)
        pair_ratio = statistics.median(b / a for a, b in pairs)

    python = sys.version.split()[0]
    print(f"MobileNetV2 224x224, {threads} CPU threads, torch {torch.__version__}, python {python}")
    print(f"{'measure':<44}{'foveal (ORT)':>14}{'torchvision':>14}{'ratio':>9}")

    def row(label: str, ours: float, tv: float) -> None:
        print(f"{label:<44}{ours * 1e3:>14.2f}{tv * 1e3:>14.2f}{tv / ours:>8.2f}x")

    row("batch-1 network latency (ms, median)", net_ours, net_tv)
    row("batch-1 end-to-end latency (ms, median)", e2e_ours, e2e_tv)
    print(f"{'folder throughput, batch 1 (img/s)':<44}{tput_b1:>14.1f}")
    label = f"folder throughput, batched {args.batch_size} + threads (img/s)"
    paired = f"{pair_ratio:>8.2f}x vs batch-1 (median of paired runs)"
    print(f"{label:<44}{tput_b16:>14.1f}{'':>14}{paired}")
    print("targets: foveal >= 2x torchvision at batch 1; batched >= 1.3x batch-1")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("FOVEAL_OFFLINE", "1")
    sys.exit(main())
