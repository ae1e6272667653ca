"""Folder throughput by network batch size: why predictors send 2 images per call by default.

``predict_batch`` on real photos with 2 decoding workers at batch 1, 2, 4 and 8, and one image at a
time without workers, for classification (48 hymenoptera photos), detection (40 BCCD smears) and
face detection (40 people photos); 1 network thread, contenders interleaved over the repeats.
Prints images per second (medians).

    python bench/batch_sizes.py [--repeats 6] [--tasks classify,detect,faces]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FOVEAL_SHARED", ROOT.parent / "shared")).resolve()
os.environ.setdefault("FOVEAL_WEIGHTS_PATH", str(SHARED / "weights"))
os.environ.setdefault("FOVEAL_OFFLINE", "1")

CONFIGS = ((1, 1), (1, 2), (2, 2), (4, 2), (8, 2))
"""(batch size, decoding workers); workers 1 = one image at a time, nothing in threads."""


def predictor_and_files(task: str):  # noqa: ANN201
    data = SHARED / "data"
    if task == "classify":
        from foveal.tasks.classify import Classifier

        photos = sorted((data / "classification" / "hymenoptera" / "train").rglob("*.jpg"))
        return Classifier(threads=1), photos[:48]
    if task == "detect":
        from foveal.tasks.detect import Detector

        smears = sorted((data / "detection" / "bccd" / "BCCD" / "JPEGImages").glob("*.jpg"))
        return Detector(threads=1), smears[:40]
    from foveal.tasks.faces import FaceDetector

    return FaceDetector(threads=1), sorted((data / "faces").rglob("*.jpg"))[:40]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--tasks", default="classify,detect,faces")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"# images/s, medians of {args.repeats} interleaved repeats; load {load:.2f}")
    for task in args.tasks.split(","):
        predictor, files = predictor_and_files(task)

        def throughput(batch: int, workers: int, predictor=predictor, files=files) -> float:  # noqa: ANN001
            t = time.perf_counter()
            n = sum(1 for _ in predictor.predict_batch(files, batch_size=batch, workers=workers))
            return n / (time.perf_counter() - t)

        throughput(1, 2)  # warm-up
        got: dict[tuple[int, int], list[float]] = {c: [] for c in CONFIGS}
        for rep in range(args.repeats):
            for config in CONFIGS if rep % 2 == 0 else CONFIGS[::-1]:
                got[config].append(throughput(*config))
        row = ", ".join(
            f"batch {b}{' one at a time' if w == 1 else ''} {statistics.median(v):.1f}"
            for (b, w), v in got.items()
        )
        print(f"{task} ({len(files)} files): {row}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
