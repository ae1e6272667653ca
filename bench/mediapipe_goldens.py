"""Golden landmarks from MediaPipe's own legacy solutions (the peer for ``foveal landmarks``).

MediaPipe's Python API needs protobuf < 5, which the foveal venv does not have, so this script
runs in a throwaway venv that holds only mediapipe (it reads the same ``.tflite`` files that
foveal runs with its own pre- and post-processing):

    python3.11 -m venv /tmp/mpvenv && /tmp/mpvenv/bin/pip install mediapipe==0.10.14
    SK=$(.venv/bin/python -c 'import skimage.data as d, os; print(os.path.dirname(d.__file__))')
    /tmp/mpvenv/bin/python bench/mediapipe_goldens.py --out tests/tasks/landmarks_goldens \
        --skimage-data "$SK"

It writes one ``<image stem>.json`` per image: the image size, and per part the points that
``mp.solutions.hands`` / ``pose`` / ``face_mesh`` (``static_image_mode=True``, default
confidences, up to 2 hands and 1 face) return, in pixels (x, y) plus MediaPipe's own z, and the
hands' handedness labels. ``tests/tasks/test_landmarks_parity.py`` compares foveal to them.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
IMAGES = (
    "data/faces/people/test/obama1.jpg",
    "data/faces/people/test/kit_with_rose.jpg",
    "data/faces/people/obama.jpg",
    "data/faces/detection/2008_001009.jpg",
    "data/faces/detection/2007_007763.jpg",
    "skimage:astronaut",
    "skimage:coffee",
)


def image_path(name: str, shared: Path, skimage_dir: str) -> Path:
    if name.startswith("skimage:"):
        return sorted(Path(skimage_dir).glob(f"{name.split(':', 1)[1]}.*"))[0]
    return shared / name


def points(landmarks, w: int, h: int) -> list[list[float]]:
    return [[round(lm.x * w, 3), round(lm.y * h, 3), round(lm.z, 5)] for lm in landmarks.landmark]


def main() -> None:
    import cv2
    import mediapipe as mp

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="tests/tasks/landmarks_goldens")
    ap.add_argument("--shared", default=os.environ.get("FOVEAL_SHARED", str(SHARED)))
    ap.add_argument(
        "--skimage-data",
        default=os.environ.get("SKIMAGE_DATA", ""),
        help="scikit-image's data folder (skimage.data.__file__'s folder, in foveal's venv)",
    )
    ap.add_argument(
        "--by-index", action="store_true", help="name outputs 0.json, 1.json ... (input order)"
    )
    ap.add_argument("images", nargs="*", default=list(IMAGES))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sol = mp.solutions
    with (
        sol.hands.Hands(static_image_mode=True, max_num_hands=2, model_complexity=1) as hands,
        sol.pose.Pose(static_image_mode=True, model_complexity=1) as pose,
        sol.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1) as mesh,
    ):
        for index, name in enumerate(args.images):
            path = image_path(name, Path(args.shared), args.skimage_data)
            bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            h, w = rgb.shape[:2]
            rec: dict = {"image": name, "width": w, "height": h, "mediapipe": mp.__version__}
            r = hands.process(rgb)
            rec["hands"] = [
                {
                    "handedness": c.classification[0].label,
                    "score": c.classification[0].score,
                    "points": points(lms, w, h),
                }
                for lms, c in zip(
                    r.multi_hand_landmarks or [], r.multi_handedness or [], strict=True
                )
            ]
            r = pose.process(rgb)
            rec["poses"] = []
            if r.pose_landmarks:
                vis = [lm.visibility for lm in r.pose_landmarks.landmark]
                rec["poses"] = [{"points": points(r.pose_landmarks, w, h), "visibility": vis}]
            r = mesh.process(rgb)
            rec["faces"] = [{"points": points(f, w, h)} for f in r.multi_face_landmarks or []]
            stem = str(index) if args.by_index else Path(name.split(":")[-1]).stem
            dest = out / f"{stem}.json"
            dest.write_text(json.dumps(rec, separators=(",", ":")))
            print(dest, {k: len(rec[k]) for k in ("hands", "poses", "faces")})


if __name__ == "__main__":
    main()
