"""Landmarks in video: following regions from frame to frame (MediaPipe's video mode) against
detecting in every frame, on a real photo panned over 30 frames (a woman's hand, body and face;
``../shared/data/faces/people/test/kit_with_rose.jpg``).

    PYTHONPATH=src FOVEAL_OFFLINE=1 .venv/bin/python bench/landmarks_video.py

Each mode runs twice, alternating (the machine is shared: read the lower figure). Prints ms per
frame, detector runs, and how closely each mode's points follow the known pan
(per-frame centre step minus the true shift, pixels).
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared"
SHIFT = np.array([3.0, 2.0])


def main() -> None:
    from foveal.io import load_image
    from foveal.tasks.landmarks.predict import LandmarksPredictor

    img = load_image(SHARED / "data/faces/people/test/kit_with_rose.jpg")
    h, w = img.shape[:2]
    frames = [
        cv2.warpAffine(
            img, np.float32([[1, 0, SHIFT[0] * t], [0, 1, SHIFT[1] * t]]), (w, h),
            borderMode=cv2.BORDER_REPLICATE,
        )
        for t in range(30)
    ]  # fmt: skip
    print("| mode | ms/frame | detector runs (hands, pose, face) | hand step err | face step err |")
    print("|---|---|---|---|---|")
    for track in (True, False, True, False):
        predictor = LandmarksPredictor()
        calls = {k: 0 for k in predictor.pipelines}
        for name, pipe in predictor.pipelines.items():

            def detect(*a, _orig=pipe.detect, _name=name, _calls=calls, **k):
                _calls[_name] += 1
                return _orig(*a, **k)

            pipe.detect = detect  # type: ignore[method-assign]
        tracker = predictor.tracker(max_hands=1)
        tracker.update(frames[0])  # networks loaded
        tracker.reset()
        calls.update({k: 0 for k in calls})
        t0 = time.perf_counter()
        results = []
        for f in frames:
            if not track:
                tracker.reset()
            results.append(tracker.update(f))
        ms = 1000 * (time.perf_counter() - t0) / len(frames)
        errs = []
        for part in ("hand", "face"):
            c = np.array([r.of(part)[0][:, :2].mean(0) for r in results if len(r.of(part))])
            errs.append(np.abs(np.diff(c, axis=0) - SHIFT).max() if len(c) > 1 else np.nan)
        mode = "tracked" if track else "detect every frame"
        runs = f"{calls['hands']}, {calls['pose']}, {calls['face']}"
        print(f"| {mode} | {ms:.0f} | {runs} | {errs[0]:.2f} | {errs[1]:.2f} |")


if __name__ == "__main__":
    main()
