"""Memory and throughput of `foveal analyze` on many small images.

    python bench/analyze_memory.py [--images 2000] [--subset 400]

1. Generates N small JPEGs (320x240, random shapes) in a temporary folder.
2. Runs `foveal analyze DIR --tasks classify` as a subprocess and samples its peak RSS (VmHWM in
   /proc) against the number of records written: the peak at record 2,000 must stay within 50 MB
   of the peak at record 100 (streaming: memory does not grow with the number of files).
3. Throughput (images/s, model loading excluded): `foveal analyze` with batching and the decoding
   thread pool, vs the same command one image at a time (--batch-size 1 --workers 1), vs a plain
   Python loop calling foveal.classify(path) per image, on the first --subset images.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]


def make_images(folder: Path, n: int, seed: int = 0) -> list[Path]:
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        img = Image.new("RGB", (320, 240), tuple(int(x) for x in rng.integers(0, 255, 3)))
        d = ImageDraw.Draw(img)
        for _ in range(6):
            x, y = rng.integers(0, 300, 2)
            w, h = rng.integers(10, 120, 2)
            colour = tuple(int(c) for c in rng.integers(0, 255, 3))
            (d.ellipse if rng.random() < 0.5 else d.rectangle)((x, y, x + w, y + h), fill=colour)
        p = folder / f"img_{i:05d}.jpg"
        img.save(p, quality=85)
        paths.append(p)
    return paths


def env() -> dict[str, str]:
    e = {**os.environ, "FOVEAL_OFFLINE": "1"}
    e["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + e.get("PYTHONPATH", "")
    e.setdefault("FOVEAL_WEIGHTS_PATH", str(ROOT.parent / "shared" / "weights"))
    return e


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_analyze(
    inputs: list[str], out: Path, extra: list[str], marks: tuple[int, ...] = ()
) -> tuple[float, dict[int, float]]:
    """Run the CLI; returns (images/s as the CLI measured it, {record count: peak RSS MB})."""
    cmd = [
        sys.executable,
        "-m",
        "foveal",
        "analyze",
        *inputs,
        "--tasks",
        "classify",
        "--out",
        str(out),
        "--no-progress",
        "--overwrite",
        *extra,
    ]
    proc = subprocess.Popen(cmd, env=env(), stderr=subprocess.PIPE, text=True)
    jsonl = out / "records.jsonl"
    peaks: dict[int, float] = {}
    todo = sorted(marks)
    while proc.poll() is None:
        if todo and jsonl.exists():
            with open(jsonl, "rb") as fh:
                count = sum(1 for _ in fh)
            hwm = vm_hwm_mb(
                proc.pid
            )  # read right after counting: the peak up to (at least) `count`
            while todo and count >= todo[0]:
                peaks[todo.pop(0)] = hwm
        time.sleep(0.05)
    err = proc.stderr.read()
    if proc.returncode != 0:
        raise SystemExit(f"foveal analyze failed ({proc.returncode}):\n{err}")
    m = re.search(r"(\d+) record\(s\) written.*?([\d.]+) s \(([\d.]+) img/s\)", err)
    if not m:
        raise SystemExit(f"could not read the summary line:\n{err}")
    return float(m.group(2)) and int(m.group(1)) / float(m.group(2)), peaks


def loop_classify(paths: list[Path]) -> float:
    code = (
        "import sys, time, foveal\n"
        "paths = sys.argv[1:]\n"
        "foveal.classify(paths[0])\n"
        "t0 = time.perf_counter()\n"
        "for p in paths: foveal.classify(p)\n"
        "print(len(paths) / (time.perf_counter() - t0))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *map(str, paths)],
        env=env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--subset", type=int, default=400, help="images for the one-at-a-time runs")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="foveal-bench-") as tmp:
        folder = Path(tmp) / "images"
        folder.mkdir()
        t0 = time.perf_counter()
        paths = make_images(folder, args.images)
        print(f"generated {len(paths)} images 320x240 in {time.perf_counter() - t0:.1f} s")
        marks = tuple(m for m in (100, 500, 1000, 1500, args.images) if m <= args.images)
        rate_batched, peaks = run_analyze([str(folder)], Path(tmp) / "out_batched", [], marks)
        sub = [str(p) for p in paths[: args.subset]]
        rate_sub_batched, _ = run_analyze(sub, Path(tmp) / "out_sub", [])
        rate_single, _ = run_analyze(
            sub, Path(tmp) / "out_single", ["--batch-size", "1", "--workers", "1"]
        )
        rate_loop = loop_classify(paths[: args.subset])

    print(
        "\npeak RSS of `foveal analyze` (classify, batch 8, decoding threads) by records written, "
        f"{os.cpu_count()} CPUs"
    )
    for k in marks:
        print(f"  at image {k:>5}: {peaks[k]:7.1f} MB")
    growth = peaks[marks[-1]] - peaks[100]
    verdict = "PASS" if growth <= 50 else "FAIL"
    print(f"  growth from image 100 to {marks[-1]}: {growth:+.1f} MB (limit 50 MB): {verdict}")
    print(
        f"\nthroughput on {args.subset} images (model loading excluded){'':4}img/s   vs "
        "one-at-a-time loop"
    )
    rows = [
        ("foveal analyze, batch 8 + thread pool", rate_sub_batched),
        ("foveal analyze, batch 1, 1 worker", rate_single),
        ("loop of foveal.classify(path)", rate_loop),
    ]
    for name, r in rows:
        print(f"  {name:<52}{r:7.1f}   {r / rate_loop:5.2f}x")
    print(f"  (all {args.images} images, batch 8 + thread pool: {rate_batched:.1f} img/s)")
    return 0 if growth <= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
