"""Landmarks in video: regions followed from frame to frame (MediaPipe's video mode), detectors
run only while fewer regions than the maximum are followed."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from foveal.io import load_image
from foveal.tasks.landmarks.predict import LandmarksPredictor

SHIFT = (4.0, 3.0)  # pixels per frame


@pytest.fixture(scope="module")
def frames(shared) -> list[np.ndarray]:
    """A real photo (a woman's hand, body and face) panned by SHIFT each frame."""
    img = load_image(shared / "data/faces/people/test/kit_with_rose.jpg")
    h, w = img.shape[:2]
    out = []
    for t in range(5):
        m = np.float32([[1, 0, SHIFT[0] * t], [0, 1, SHIFT[1] * t]])
        out.append(cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE))
    return out


def counting(predictor: LandmarksPredictor) -> dict[str, int]:
    calls: dict[str, int] = {}
    for name, pipe in predictor.pipelines.items():

        def detect(*args, _orig=pipe.detect, _name=name, **kwargs):
            calls[_name] = calls.get(_name, 0) + 1
            return _orig(*args, **kwargs)

        pipe.detect = detect  # type: ignore[method-assign]
    return calls


def test_tracker_detects_once_then_follows(frames) -> None:
    predictor = LandmarksPredictor()
    calls = counting(predictor)
    tracker = predictor.tracker(max_hands=1)
    results = [tracker.update(f) for f in frames]
    assert calls == {"hands": 1, "pose": 1, "face": 1}  # the first frame only
    assert all(r.parts == ["hand", "pose", "face"] for r in results)
    for part, tol in (("hand", 1.5), ("face", 1.0)):
        centres = np.array([r.of(part)[0][:, :2].mean(0) for r in results])
        steps = np.diff(centres, axis=0)
        assert np.abs(steps - SHIFT).max() <= tol, (part, steps)


def test_tracker_loses_and_finds_again(frames) -> None:
    predictor = LandmarksPredictor()
    calls = counting(predictor)
    tracker = predictor.tracker(parts="face")
    assert len(tracker.update(frames[0])) == 1
    assert len(tracker.update(np.zeros_like(frames[0]))) == 0  # nobody: an empty result
    assert tracker.rois == {"face": []}
    assert len(tracker.update(frames[1])) == 1
    # detection on the first frame and on the one after the loss; on the empty frame the
    # followed region was looked at (and nothing found there), not the detector
    assert calls == {"face": 2}
