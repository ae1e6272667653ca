"""The Landmarks result: validation, part accessors, filtering, JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from foveal.results import Landmarks, ResultError


def sample() -> Landmarks:
    return Landmarks(
        ["hand", "hand", "face"],
        [np.ones((21, 3)), np.zeros((21, 3)), np.full((468, 3), 2.0)],
        [0.9, 0.4, 1.0],
        ["Left", "Right", ""],
        width=640,
        height=480,
        source="a.jpg",
    )


def test_parts_filtering_and_json() -> None:
    lm = sample()
    assert lm.hands.shape == (2, 21, 3) and lm.faces.shape == (1, 468, 3)
    assert lm.poses.shape == (0, 33, 3)
    sure = lm[lm.scores > 0.5]
    assert sure.parts == ["hand", "face"] and sure.handedness == ["Left", ""]
    d = json.loads(json.dumps(lm.to_dict()))
    assert d["source"] == "a.jpg" and (d["width"], d["height"]) == (640, 480)
    assert [h["handedness"] for h in d["hands"]] == ["Left", "Right"]
    assert d["poses"] == [] and len(d["faces"][0]["points"]) == 468
    assert "handedness" not in d["faces"][0] and "visibility" not in d["faces"][0]
    assert lm.visibility == [None, None, None]
    pose = Landmarks(["pose"], [np.zeros((33, 3))], [1.0], [""], [np.full(33, 0.25)])
    assert pose.to_dict()["poses"][0]["visibility"] == [0.25] * 33


def test_validation() -> None:
    with pytest.raises(ResultError, match="a hand has 20 points; expected 21"):
        Landmarks(["hand"], [np.zeros((20, 3))], [1.0], [""])
    with pytest.raises(ResultError, match="unknown landmark part 'foot'"):
        Landmarks(["foot"], [np.zeros((21, 3))], [1.0], [""])
    with pytest.raises(ResultError, match="same length"):
        Landmarks(["hand"], [np.zeros((21, 3))], [1.0, 0.5], [""])
    with pytest.raises(ResultError, match="visibility has 32 values; expected 33"):
        Landmarks(["pose"], [np.zeros((33, 3))], [1.0], [""], [np.zeros(32)])
    assert len(Landmarks([], [], [], [])) == 0
