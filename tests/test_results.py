"""Results dataclasses: validation, boolean-mask filtering, serialisation."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

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


def test_source_and_index_travel_with_every_result_type() -> None:
    made = [
        Classification([3, 1], [0.7, 0.2], ["cat", "dog"], model="x"),
        Detections(np.array([[0, 0, 4, 4], [1, 1, 9, 9]]), [0.9, 0.2], [0, 1], ["a", "b"]),
        Faces(np.array([[0, 0, 4, 4], [1, 1, 9, 9]]), [0.9, 0.2], np.zeros((2, 5, 2))),
        TextLines(np.zeros((2, 4, 2)), ["Hello", "world"], [0.9, 0.2]),
    ]
    for result in made:
        kind = type(result).__name__
        plain = result.to_dict()
        assert "source" not in plain and "index" not in plain, kind
        assert (result.source, result.index) == (None, None), kind
        framed = replace(result, source=Path("clip.mp4"), index=np.int64(12))
        assert (framed.source, framed.index) == ("clip.mp4", 12), kind
        assert type(framed.index) is int, kind
        rec = framed.to_dict()
        assert (rec["source"], rec["index"]) == ("clip.mp4", 12), kind
        assert {k: v for k, v in rec.items() if k not in ("source", "index")} == plain, kind
        assert json.loads(framed.to_json())["index"] == 12, kind
        # not per item: filtering (mask or indices) keeps them
        kept = framed[framed.scores > 0.5]
        assert len(kept) == 1 and (kept.source, kept.index) == ("clip.mp4", 12), kind
        assert (framed[[1]].source, framed[[1]].index) == ("clip.mp4", 12), kind
        only_page = replace(result, index=1).to_dict()
        assert only_page["index"] == 1 and "source" not in only_page, kind


def test_bad_index_is_refused_with_one_line() -> None:
    for bad in (-1, 1.5, "3", True):
        with pytest.raises(ResultError, match=r"^index is .*; expected a frame \(from 0\) or page"):
            Classification([0], [1.0], ["cat"], index=bad)
