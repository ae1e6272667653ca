"""`foveal landmarks` against MediaPipe's own legacy solutions (hands, pose, face_mesh in
static-image mode, same .tflite files): goldens written by bench/mediapipe_goldens.py in a
throwaway venv with mediapipe 0.10.14 (its Python API does not import next to protobuf 7)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import foveal
from foveal.tasks import TASKS

GOLDENS = sorted((Path(__file__).parent / "landmarks_goldens").glob("*.json"))
GROUPS = (("hands", "hand"), ("poses", "pose"), ("faces", "face"))


def image_of(golden: dict, shared: Path, photos: dict[str, Path]) -> Path:
    name = golden["image"]
    return photos[name.split(":", 1)[1]] if name.startswith("skimage:") else shared / name


@pytest.fixture(scope="module")
def predictor():
    return TASKS["landmarks"].load()


def test_goldens_cover_every_part() -> None:
    """The reference is not vacuous: several hands (both labels), poses and faces, and an image
    with nobody."""
    data = [json.loads(p.read_text()) for p in GOLDENS]
    hands = [h for d in data for h in d["hands"]]
    assert len(hands) >= 4 and {h["handedness"] for h in hands} == {"Left", "Right"}
    assert sum(len(d["poses"]) for d in data) >= 5 and sum(len(d["faces"]) for d in data) >= 5
    assert any(not (d["hands"] or d["poses"] or d["faces"]) for d in data)


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: p.stem)
def test_within_2px_of_mediapipe(path: Path, predictor, shared, photos) -> None:
    golden = json.loads(path.read_text())
    image = image_of(golden, shared, photos)
    result = predictor(image)
    assert (result.width, result.height) == (golden["width"], golden["height"])
    for key, part in GROUPS:
        ours = result.of(part)
        theirs = [np.asarray(g["points"], np.float32) for g in golden[key]]
        assert len(ours) == len(theirs), f"{image.name}: {len(ours)} {key}, MediaPipe {len(theirs)}"
        labels = [h for p, h in zip(result.parts, result.handedness, strict=True) if p == part]
        for g, ref in zip(golden[key], theirs, strict=True):
            # the region of ours nearest to MediaPipe's (orders may differ between hands)
            dists = [float(np.abs(o[:, :2] - ref[:, :2]).max()) for o in ours]
            best = int(np.argmin(dists))
            assert dists[best] <= 2.0, f"{image.name} {part}: max error {dists[best]:.2f} px"
            # z: MediaPipe's relative depth, same scale
            assert np.abs(ours[best][:, 2] - ref[:, 2]).max() <= 0.01
            if part == "hand":
                assert labels[best] == g["handedness"]
            if part == "pose":
                pose_index = [i for i, p in enumerate(result.parts) if p == "pose"][best]
                seen = result.visibility[pose_index]
                assert np.abs(seen - np.asarray(g["visibility"])).max() <= 0.01


def test_obama1_acceptance(shared) -> None:
    """Issue 14: 468 face points inside the face box and 33 pose points."""
    path = shared / "data/faces/people/test/obama1.jpg"
    lm = foveal.landmarks(path)
    (face,) = lm.faces
    assert face.shape == (468, 3) and lm.poses.shape == (1, 33, 3)
    x1, y1, x2, y2 = foveal.detect_faces(path).xyxy[0]  # YuNet's box, an independent detector
    # YuNet's box is tight on the cheeks: the mesh's outline reaches ~10 px past it (of 365 px)
    pad = 0.05 * (x2 - x1)
    inside = (
        (face[:, 0] >= x1 - pad)
        & (face[:, 0] <= x2 + pad)
        & (face[:, 1] >= y1 - pad)
        & (face[:, 1] <= y2 + pad)
    )
    assert inside.all()
    strict = (face[:, 0] >= x1) & (face[:, 0] <= x2) & (face[:, 1] >= y1) & (face[:, 1] <= y2)
    assert strict.mean() >= 0.98
    nose, left_hip = lm.poses[0][0], lm.poses[0][23]
    assert x1 <= nose[0] <= x2 and y1 <= nose[1] <= y2  # the pose's nose is in the face
    assert left_hip[1] > y2  # and its hips below it
