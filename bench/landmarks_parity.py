"""Parity of ``foveal landmarks`` with MediaPipe's own solutions, side by side in one run.

MediaPipe's Python API needs protobuf < 5, so the peer runs in its own venv (see
``bench/mediapipe_goldens.py``) as a subprocess of this script, on the same images, in the same
run. Images: every photo of ``../shared/data/faces`` and scikit-image's four sample photos; the
seven that ``tests/tasks/landmarks_goldens`` holds (the ones the port was checked on while it
was written) are reported apart from the held-out rest.

    python3.11 -m venv /tmp/mpvenv && /tmp/mpvenv/bin/pip install mediapipe==0.10.14
    PYTHONPATH=src FOVEAL_OFFLINE=1 .venv/bin/python bench/landmarks_parity.py \\
        --mediapipe-python /tmp/mpvenv/bin/python
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
GOLDENS = ROOT / "tests/tasks/landmarks_goldens"
GROUPS = (("hands", "hand"), ("poses", "pose"), ("faces", "face"))


def images(shared: Path) -> list[str]:
    found = sorted(
        str(p.relative_to(shared))
        for p in (shared / "data/faces").rglob("*")
        if p.suffix.lower() in (".jpg", ".jpeg", ".png")
    )
    return found + [f"skimage:{n}" for n in ("astronaut", "coffee", "chelsea", "rocket")]


def main() -> None:
    import cv2
    import skimage.data

    import foveal

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mediapipe-python", required=True, help="python of a mediapipe venv")
    ap.add_argument("--shared", default=str(SHARED))
    args = ap.parse_args()
    shared = Path(args.shared)
    sk = Path(skimage.data.__file__).parent
    names = images(shared)
    tuned = {json.loads(p.read_text())["image"] for p in GOLDENS.glob("*.json")}
    with tempfile.TemporaryDirectory() as tmp:
        # one output file per image: name them by index (stems repeat: img1.jpg ...)
        t0 = time.perf_counter()
        cmd = [args.mediapipe_python, str(ROOT / "bench/mediapipe_goldens.py"), "--by-index"]
        cmd += ["--out", tmp, "--shared", str(shared), "--skimage-data", str(sk), *names]
        subprocess.run(cmd, check=True, capture_output=True)
        peer = {n: json.loads((Path(tmp) / f"{i}.json").read_text()) for i, n in enumerate(names)}
        peer_s = time.perf_counter() - t0
    rows: dict[str, dict[str, list]] = {"tuned": {}, "held-out": {}}
    ours_s = 0.0
    foveal.landmarks(sk / "astronaut.png")  # load the networks before timing
    for name in names:
        path = sorted(sk.glob(f"{name[8:]}.*"))[0] if name.startswith("skimage:") else shared / name
        # the peer's pixels: OpenCV drops a PNG's alpha where foveal's loader composites it
        image = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        t0 = time.perf_counter()
        lm = foveal.landmarks(image)
        ours_s += time.perf_counter() - t0
        split = rows["tuned" if name in tuned else "held-out"]
        for key, part in GROUPS:
            # images, same count, regions, errors, hands, same handedness, errors on visible points
            st = split.setdefault(part, [0, 0, 0, [], 0, 0, []])
            ours, theirs = lm.of(part), peer[name][key]
            st[0] += 1
            st[1] += len(ours) == len(theirs)
            labels = [h for p, h in zip(lm.parts, lm.handedness, strict=True) if p == part]
            for g in theirs:
                ref = np.asarray(g["points"], np.float32)
                st[2] += 1
                if not len(ours):
                    st[3].append(np.inf)
                    continue
                d = [float(np.abs(o[:, :2] - ref[:, :2]).max()) for o in ours]
                st[3].append(min(d))
                if min(d) > 2:
                    worst = int(np.abs(ours[int(np.argmin(d))][:, :2] - ref[:, :2]).max(1).argmax())
                    print(f"over 2 px: {name} {part} point {worst} ({min(d):.2f} px)")
                if "visibility" in g:
                    seen = np.asarray(g["visibility"]) > 0.5
                    o = ours[int(np.argmin(d))]
                    st[6].append(float(np.abs(o[seen, :2] - ref[seen, :2]).max(initial=0)))
                if part == "hand":
                    st[4] += 1
                    st[5] += labels[int(np.argmin(d))] == g["handedness"]
    print(f"{len(names)} images; foveal {1000 * ours_s / len(names):.0f} ms/image (all parts, ")
    print(
        f"LiteRT, this machine); MediaPipe {peer_s:.0f} s in its subprocess (start-up included)\n"
    )
    head = "| split | part | images | same count | regions | max err px | median | <= 2 px |"
    print(head + " visible pts max | hand |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for split, parts in rows.items():
        for part, (n, same, regions, errs, hands, hand_ok, seen) in parts.items():
            e = np.asarray(errs) if errs else np.zeros(1)
            hand = f"{hand_ok}/{hands}" if part == "hand" else ""
            vis = f"{max(seen):.2f}" if seen else ""
            print(
                f"| {split} | {part} | {n} | {same}/{n} | {regions} | {e.max():.2f} | "
                f"{np.median(e):.2f} | {int((e <= 2).sum())}/{len(errs)} | {vis} | {hand} |"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
