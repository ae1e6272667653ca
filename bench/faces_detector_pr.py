"""Face detector precision and recall at several score thresholds, YuNet and CenterFace.

    python bench/faces_detector_pr.py [--conf 0.5 0.6 0.7 0.8 0.9] [--json]

Two sets, both from shared/data/faces:

* ``detection/``: 4 PASCAL VOC photos, 18 faces boxed by hand in dlib's ``training.xml``. A
  detection is right when its IoU with a hand box is at least 0.5 (one detection per box);
  precision, recall and false positives per image are reported.
* ``people/``: portraits without boxes (each distinct file once). Every plain portrait holds
  exactly one face; the group photos hold the number in ``GROUPS``. False positives are the
  detections above that number, misses the shortfall, both per image.

Each detector runs once per image at the lowest threshold; a higher threshold keeps the faces
scoring at least that much. That is exactly what running at that threshold gives, because NMS
only lets a face suppress lower-scored ones.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FOVEAL_SHARED", ROOT.parent / "shared"))
os.environ.setdefault("FOVEAL_WEIGHTS_PATH", str(SHARED / "weights"))
sys.path.insert(0, str(ROOT / "src"))

DETECTORS = ("yunet.2023mar", "centerface.wider")
CONFS = (0.5, 0.6, 0.7, 0.8, 0.9)
GROUPS = {"kit_with_rose.jpg": 2, "obama_and_biden.jpg": 3}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


@dataclass
class Row:
    detector: str
    conf: float
    precision: float  # detection set
    recall: float  # detection set
    fp_per_image: float  # detection set
    people_fp_per_image: float  # portraits: detections beyond the true face count
    people_images_with_fp: int
    people_missed_per_image: float


def hand_boxes(xml: Path) -> dict[Path, np.ndarray]:
    """``{image: (N, 4) xyxy}`` from dlib's imglab XML (boxes marked ignore are left out)."""
    out = {}
    for im in ET.parse(xml).getroot().iter("image"):
        boxes = [
            [
                float(b.get("left")),
                float(b.get("top")),
                float(b.get("left")) + float(b.get("width")),
                float(b.get("top")) + float(b.get("height")),
            ]
            for b in im.iter("box")
            if b.get("ignore", "0") != "1"
        ]
        out[xml.parent / im.get("file")] = np.asarray(boxes, np.float32).reshape(-1, 4)
    return out


def portraits(folder: Path) -> dict[Path, int]:
    """``{image: true face count}``, each distinct file once."""
    seen, out = set(), {}
    for p in sorted(folder.rglob("*")):
        if p.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            out[p] = GROUPS.get(p.name, 1)
    return out


def greedy_matches(gt: np.ndarray, boxes: np.ndarray, scores: np.ndarray, iou_min: float) -> int:
    """How many detections match a distinct hand box (best score first, IoU >= iou_min)."""
    from foveal.ops import box_iou

    if not len(gt) or not len(boxes):
        return 0
    iou = box_iou(boxes[np.argsort(-scores, kind="stable")], gt)
    used = np.zeros(len(gt), bool)
    for row in iou:
        row = np.where(used, -1.0, row)
        j = int(np.argmax(row))
        if row[j] >= iou_min:
            used[j] = True
    return int(used.sum())


def measure(
    detectors: tuple[str, ...] = DETECTORS,
    confs: tuple[float, ...] = CONFS,
    shared: Path = SHARED,
    iou_min: float = 0.5,
) -> list[Row]:
    """One :class:`Row` per detector and threshold."""
    from foveal.tasks.faces import FaceDetector

    det_set = hand_boxes(shared / "data/faces/detection/training.xml")
    people = portraits(shared / "data/faces/people")
    lowest = min(confs)
    rows = []
    for name in detectors:
        det = FaceDetector(name)
        found = {p: det(p, conf=lowest) for p in [*det_set, *people]}
        for conf in confs:
            tp = n_det = 0
            for p, gt in det_set.items():
                f = found[p]
                keep = f.scores >= conf
                n_det += int(keep.sum())
                tp += greedy_matches(gt, f.xyxy[keep], f.scores[keep], iou_min)
            n_gt = sum(len(g) for g in det_set.values())
            extra = missed = with_fp = 0
            for p, want in people.items():
                n = int((found[p].scores >= conf).sum())
                extra += max(0, n - want)
                missed += max(0, want - n)
                with_fp += n > want
            rows.append(
                Row(
                    detector=name,
                    conf=conf,
                    precision=tp / n_det if n_det else 1.0,
                    recall=tp / n_gt,
                    fp_per_image=(n_det - tp) / len(det_set),
                    people_fp_per_image=extra / len(people),
                    people_images_with_fp=with_fp,
                    people_missed_per_image=missed / len(people),
                )
            )
    return rows


def score_gaps(
    detectors: tuple[str, ...] = DETECTORS, shared: Path = SHARED, iou_min: float = 0.5
) -> dict[str, tuple[float, float]]:
    """``{detector: (lowest true-face score, highest false-positive score)}`` over both sets (in
    a portrait, the best-scored faces up to the true count are taken as the true ones)."""
    from foveal.ops import box_iou
    from foveal.tasks.faces import FaceDetector

    det_set = hand_boxes(shared / "data/faces/detection/training.xml")
    people = portraits(shared / "data/faces/people")
    out = {}
    for name in detectors:
        det = FaceDetector(name)
        true, false = [], []
        for p, gt in det_set.items():
            f = det(p, conf=0.05)
            hit = (box_iou(f.xyxy, gt) >= iou_min).any(1) if len(gt) else np.zeros(len(f), bool)
            true += f.scores[hit].tolist()
            false += f.scores[~hit].tolist()
        for p, want in people.items():
            f = det(p, conf=0.05)
            true += f.scores[:want].tolist()
            false += f.scores[want:].tolist()
        out[name] = (min(true), max(false, default=0.0))
    return out


def table(rows: list[Row], n_people: int) -> str:
    """The Markdown table of docs/faces.md."""
    lines = [
        "| detector | conf | precision | recall | FP / image | portraits: FP / image "
        f"(images with FP, of {n_people}) | portraits: missed / image |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.detector} | {r.conf:.2f} | {r.precision:.3f} | {r.recall:.3f} | "
            f"{r.fp_per_image:.2f} | {r.people_fp_per_image:.3f} ({r.people_images_with_fp}) | "
            f"{r.people_missed_per_image:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conf", type=float, nargs="+", default=list(CONFS))
    ap.add_argument("--detectors", nargs="+", default=list(DETECTORS))
    ap.add_argument("--json", action="store_true", help="one JSON object per row")
    args = ap.parse_args()
    rows = measure(tuple(args.detectors), tuple(sorted(args.conf)))
    if args.json:
        for r in rows:
            print(json.dumps(asdict(r)))
        return
    n_people = len(portraits(SHARED / "data/faces/people"))
    n_faces = sum(len(g) for g in hand_boxes(SHARED / "data/faces/detection/training.xml").values())
    print(f"detection set: 4 images, {n_faces} hand-boxed faces (IoU >= 0.5); ", end="")
    print(f"portraits: {n_people} distinct photos of people/")
    print(table(rows, n_people))
    for name, (low_true, high_false) in score_gaps(tuple(args.detectors)).items():
        print(
            f"{name}: lowest true-face score {low_true:.3f}, highest false-positive score "
            f"{high_false:.3f} (any conf between them is clean on both sets)"
        )


if __name__ == "__main__":
    main()
