"""Behaviour unchanged? Classification and detection figures of two foveal source trees, side by
side.

Measures, with the code of each tree:
- classification: MobileNetV2 (ImageNet) on the 245 ant/bee photos of the PyTorch tutorial
  (``shared/data/classification/hymenoptera/train``): top-1 accuracy with ImageNet's ``ant`` (310)
  and ``bee`` (309) classes, and a digest of every image's top-5 ids and probabilities (1e-5);
- detection: ``foveal eval detect`` of a BCCD detector (a ``foveal train detect`` run folder) on the
  BCCD test split: mAP@[.5:.95] and mAP@.5 (pycocotools), and a digest of the COCO detector's boxes
  on every 40th frame of ``shared/data/video/vtest.avi``.

Usage (the run folder is trained once, by either tree, so both evaluate the same weights)::

    foveal train detect ../shared/data/detection/bccd/BCCD --epochs 2 --input-size 320 \\
        --threads 1 --run-dir /tmp/bccd_run
    git worktree add /tmp/before <commit-before>
    python bench/task_contract_parity.py --detector /tmp/bccd_run --before /tmp/before/src

Prints one JSON line per tree and whether every figure is identical.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
ANT, BEE = 310, 309


def measure(detector: str) -> dict[str, object]:
    import cv2
    import numpy as np

    import foveal

    root = SHARED / "data/classification/hymenoptera/train"
    digest = hashlib.sha256()
    correct = total = 0
    for label, want in (("ants", ANT), ("bees", BEE)):
        for path in sorted((root / label).iterdir()):
            res = foveal.classify(str(path), top_k=5)
            ids = [int(i) for i in res.class_ids]
            digest.update(json.dumps([ids, np.round(res.scores, 5).tolist()]).encode())
            correct += ids[0] == want
            total += 1
    out: dict[str, object] = {
        "classify_images": total,
        "classify_top1": round(correct / total, 4),
        "classify_digest": digest.hexdigest()[:16],
    }

    video = SHARED / "data/video/vtest.avi"
    cap = cv2.VideoCapture(str(video))
    boxes = hashlib.sha256()
    frames = index = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if index % 40 == 0:
            det = foveal.detect(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            boxes.update(json.dumps([np.round(det.xyxy, 2).tolist(), det.names]).encode())
            frames += 1
        index += 1
    cap.release()
    out["detect_frames"] = frames
    out["detect_digest"] = boxes.hexdigest()[:16]

    data = SHARED / "data/detection/bccd/BCCD"
    cmd = [
        sys.executable,
        "-m",
        "foveal",
        "eval",
        "detect",
        str(data),
        "--model",
        detector,
        "--split",
        "test",
        "--json",
        "--no-progress",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    scores = json.loads(proc.stdout)
    out["bccd_map50_95"] = float(scores["map"])
    out["bccd_map50"] = float(scores["map50"])
    out["bccd_predictions"] = int(scores["predictions"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--detector", required=True, help="a foveal train detect run folder (BCCD)")
    ap.add_argument("--before", help="the src/ folder of the other tree, measured first")
    ap.add_argument("--only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.only:
        print(json.dumps(measure(args.detector)))
        return
    rows = {}
    trees = ([("before", args.before)] if args.before else []) + [("after", None)]
    for name, src in trees:
        # each tree exports the zoo models itself: no ONNX file cached by the other tree is reused
        env = dict(os.environ, FOVEAL_HOME=tempfile.mkdtemp(prefix=f"foveal-{name}-"))
        if src:
            env["PYTHONPATH"] = src
        proc = subprocess.run(
            [sys.executable, __file__, "--detector", args.detector, "--only"],
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode:
            sys.exit(f"{name}: {proc.stderr.strip().splitlines()[-1]}")
        rows[name] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(name, json.dumps(rows[name]))
    if len(rows) == 2:
        same = rows["before"] == rows["after"]
        print(
            "identical"
            if same
            else "DIFFERENT: "
            + ", ".join(k for k in rows["after"] if rows["before"].get(k) != rows["after"][k])
        )


if __name__ == "__main__":
    main()
