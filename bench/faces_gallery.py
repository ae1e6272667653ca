"""Gallery search speed: 10,000 enrolled synthetic 128-d faces, identify one face at a time.

    python bench/faces_gallery.py [--faces 10000] [--queries 500]

Times ``Gallery.match`` (the revision check in SQLite + nearest-neighbour search + threshold) per
query with the exact numpy index and with FAISS's exact flat index side by side, plus the raw
index searches, and checks that every query finds its own person.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--per-person", type=int, default=4)
    args = ap.parse_args()

    from foveal.gallery import Gallery

    rng = np.random.default_rng(0)
    n_people = args.faces // args.per_person
    # dlib-like geometry: people ~0.9 apart, their photos ~0.3 around them
    centres = rng.normal(0, 0.9 / np.sqrt(2 * 128), (n_people, 128)).astype(np.float32) * 1.0
    centres *= 0.9 / np.median(np.linalg.norm(centres[1:] - centres[:-1], axis=1))
    faces = np.repeat(centres, args.per_person, 0) + rng.normal(
        0, 0.3 / np.sqrt(2 * 128), (n_people * args.per_person, 128)
    ).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "bench.db")
        t0 = time.perf_counter()
        with Gallery(db) as g, g.transaction():
            for k in range(n_people):
                g.enroll(
                    f"p{k:05d}",
                    faces[k * args.per_person : (k + 1) * args.per_person],
                    embedder="synthetic",
                )
        t_enrol = time.perf_counter() - t0
        who = rng.integers(0, n_people, args.queries)
        queries = centres[who] + rng.normal(0, 0.3 / np.sqrt(2 * 128), (args.queries, 128)).astype(
            np.float32
        )
        print(
            f"{len(faces):,} faces of {n_people:,} people enrolled in {t_enrol:.2f} s (one "
            "transaction)"
        )
        print(
            f"{'backend':8s} {'match() median ms':>18s} {'p95 ms':>8s} {'index only ms':>14s} "
            f"{'correct':>8s}"
        )
        for backend in ("numpy", "faiss"):
            with Gallery(db, index=backend) as g:
                g.match(queries[:1], threshold=0.6, embedder="synthetic")  # build the index once
                times, ok = [], 0
                for i in range(args.queries):
                    t = time.perf_counter()
                    names, _ = g.match(queries[i], threshold=0.6, embedder="synthetic")
                    times.append((time.perf_counter() - t) * 1000)
                    ok += names[0] == f"p{who[i]:05d}"
                index, _ = g._index()
                raw = []
                for i in range(args.queries):
                    t = time.perf_counter()
                    index.search(queries[i : i + 1], k=1)
                    raw.append((time.perf_counter() - t) * 1000)
                print(
                    f"{backend:8s} {statistics.median(times):18.3f} "
                    f"{np.percentile(times, 95):8.3f} {statistics.median(raw):14.3f} {ok:>4d}/"
                    f"{args.queries}"
                )
        print("target: < 5 ms per identification (search part) with 10,000 faces")


if __name__ == "__main__":
    main()
