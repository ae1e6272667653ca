"""Videos inside folders, command by command: which frames each image command processes, and
whether `clip.mp4#N` really is frame N.

    python bench/videos_in_folders.py [--every 100] [--commands classify,embed,...]

1. Builds a temporary folder: two hymenoptera ant photos, OpenCV's vtest.avi (795 frames,
   768x576; linked, not copied), a corrupt .avi and a zero-length .mp4.
2. Runs each command on the folder in this process (`foveal.cli.main`), with `--every N`, and
   counts the photos, the frame indices and the skipped files it reports.
3. The peer: PyAV (FFmpeg's decoder, not OpenCV's that foveal uses) decodes vtest.avi on its own;
   the expected frame indices are `range(0, frames, N)` of PyAV's count, and the `embed` vector
   stored as `vtest.avi#N` must match (cosine) the vector of PyAV's frame N, while the vector of
   PyAV's frame N+1 matches less: the names point at the right frames.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FOVEAL_SHARED", ROOT.parent / "shared"))
ANTS = ("0013035.jpg", "1030023514_aad5c608f9.jpg")
COMMANDS = ("classify", "detect", "embed", "explain", "index", "segment", "restore")


def build(folder: Path) -> None:
    ants = SHARED / "data" / "classification" / "hymenoptera" / "train" / "ants"
    for name in ANTS:
        shutil.copy(ants / name, folder / name)
    os.symlink(SHARED / "data" / "video" / "vtest.avi", folder / "vtest.avi")
    (folder / "corrupt.avi").write_bytes(b"RIFF" + bytes(range(256)) * 8)
    (folder / "empty.mp4").write_bytes(b"")


def run(argv: list[str]) -> tuple[int, str, str, float]:
    from foveal.cli import main

    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue(), time.perf_counter() - start


def pyav_frames() -> list[np.ndarray]:
    import av

    with av.open(str(SHARED / "data" / "video" / "vtest.avi")) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--commands", default=",".join(COMMANDS))
    args = ap.parse_args()
    peer = pyav_frames()
    expected = list(range(0, len(peer), args.every))
    print(f"PyAV decodes {len(peer)} frames of vtest.avi; --every {args.every}: {expected}")
    print(f"{'command':<9} {'rc':>2} {'photos':>6} {'frames':>6} {'indices ok':>10} "
          f"{'skipped':<22} {'s':>6}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "mixed"
        folder.mkdir()
        build(folder)
        every = ["--every", str(args.every)]
        for cmd in args.commands.split(","):
            out = Path(tmp) / f"out-{cmd}"
            argv = {
                "classify": ["classify", str(folder), "--json", "--no-progress", *every],
                "detect": ["detect", str(folder), "--json", "--no-progress", *every],
                "embed": ["embed", str(folder), "--out", f"{out}.npy", "--no-progress", *every],
                "explain": ["explain", str(folder), "--json", "--out", str(out), *every],
                "index": ["index", "build", str(folder), "--index", str(out), *every],
                "segment": ["segment", str(folder), "--json", "--out", str(out), *every],
                "restore": ["restore", str(folder), "--json", "--out", str(out), *every],
            }[cmd]
            rc, stdout, stderr, secs = run(argv)
            if cmd == "embed":
                names = json.loads(Path(f"{out}.meta.json").read_text())["paths"]
            elif cmd == "index":
                from foveal.features.index import ImageIndex

                with ImageIndex.open(out) as idx:
                    names = sorted(idx.paths(), key=lambda p: (len(p), p))
            else:
                names = []
                for line in stdout.splitlines():
                    r = json.loads(line)
                    names.append(r["source"] + (f"#{r['index']}" if "index" in r else ""))
            frames = [int(n.rsplit("#", 1)[1]) for n in names if "vtest.avi#" in n]
            photos = sum(Path(n).name in ANTS for n in names)
            lines = stderr.splitlines()
            skipped = [
                n
                for n in ("corrupt.avi", "empty.mp4")
                if any(n in x and "skipped" in x for x in lines)
            ]
            ok = sorted(frames) == expected
            print(
                f"{cmd:<9} {rc:>2} {photos:>6} {len(frames):>6} {str(ok):>10} "
                f"{','.join(skipped):<22} {secs:6.1f}",
                flush=True,
            )
            if cmd == "embed":
                vectors = np.load(f"{out}.npy")
                check_frames(names, vectors, peer)


def check_frames(names: list[str], vectors: np.ndarray, peer: list[np.ndarray]) -> None:
    """Cosine of each stored `vtest.avi#N` vector with PyAV's frame N and with frame N+1."""
    from foveal.features import get_extractor

    extractor = get_extractor("mobilenet_v2.imagenet")
    same, next_ = [], []
    for name, vec in zip(names, vectors, strict=True):
        if "vtest.avi#" not in name:
            continue
        n = int(name.rsplit("#", 1)[1])
        ref = extractor.extract([peer[n], peer[min(n + 1, len(peer) - 1)]])
        same.append(float(vec @ ref[0]))
        next_.append(float(vec @ ref[1]))
    closer = sum(s > t for s, t in zip(same, next_, strict=True))
    print(
        f"embed vtest.avi#N vs PyAV frame N: cosine min {min(same):.5f} mean {np.mean(same):.5f}; "
        f"vs PyAV frame N+1: mean {np.mean(next_):.5f}; closer to frame N than N+1: "
        f"{closer}/{len(same)}"
    )


if __name__ == "__main__":
    sys.exit(main())
