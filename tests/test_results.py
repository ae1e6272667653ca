"""Results dataclasses: validation, boolean-mask filtering, serialisation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from foveal.results import Classification, Detections, Faces, ResultError, TextLines


def test_detections_filter_and_dict() -> None:
    d = Detections(
        xyxy=np.array([[0, 0, 10, 10], [5, 5, 20, 25], [1, 2, 3, 4]]),
        scores=np.array([0.9, 0.2, 0.6]),
        class_ids=np.array([0, 2, 0]),
        names=["person", "car", "person"],
        model="m",
    )
    kept = d[d.scores > 0.5]
    assert len(kept) == 2 and kept.names == ["person", "person"]
    assert kept.xyxy.dtype == np.float32
    np.testing.assert_allclose(d.area, [100, 300, 4])
    assert len(d[[1]]) == 1 and d[1].names == ["car"]
    rec = json.loads(d.to_json())
    assert rec["detections"][1] == {
        "box": [5.0, 5.0, 20.0, 25.0],
        "score": 0.2,
        "class_id": 2,
        "name": "car",
    }
    assert len(Detections.empty()) == 0


def test_detections_validation_messages() -> None:
    with pytest.raises(ResultError, match=r"xyxy has shape \(2, 3\); expected \(N, 4\)"):
        Detections(np.zeros((2, 3)), np.zeros(2), np.zeros(2), ["a", "b"])
    with pytest.raises(ResultError, match="same length"):
        Detections(np.zeros((2, 4)), np.zeros(1), np.zeros(2), ["a", "b"])
    with pytest.raises(ResultError, match="x2 >= x1"):
        Detections(np.array([[10, 0, 5, 5]]), [1.0], [0], ["a"])
    with pytest.raises(ResultError, match="mask has shape"):
        Detections.empty()[np.array([True])]


def test_classification_and_faces_and_text() -> None:
    c = Classification(class_ids=[3, 1], scores=[0.7, 0.2], names=["cat", "dog"], model="x")
    assert c.top1 == "cat" and c.to_dict()["top"][0] == {"class_id": 3, "name": "cat", "score": 0.7}
    f = Faces(np.array([[0, 0, 4, 4]]), [0.9], np.zeros((1, 5, 2)), names=["ann"], distances=[0.3])
    assert f.to_dict()["faces"][0]["name"] == "ann" and len(f[f.scores > 0.95]) == 0
    with pytest.raises(ResultError, match="landmarks"):
        Faces(np.zeros((1, 4)), [0.9], np.zeros((1, 4, 2)))
    t = TextLines(
        np.zeros((3, 4, 2)), ["Hello", "world", "Next"], [0.9, 0.8, 0.7], paragraph_ids=[0, 0, 1]
    )
    assert t.text == "Hello\nworld\n\nNext"
    assert t[t.scores > 0.75].text == "Hello\nworld"
