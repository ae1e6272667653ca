"""`POST /v1/landmarks`: the task through the service, its options as form fields."""

from __future__ import annotations

import httpx

import foveal


def test_landmarks_match_the_verb_and_bad_parts_is_a_422(client: httpx.Client, shared) -> None:
    path = shared / "data/faces/people/test/kit_with_rose.jpg"
    files = {"file": ("kit.jpg", path.read_bytes(), "image/jpeg")}
    r = client.post("/v1/landmarks", files=files, data={"parts": "hands,face"})
    assert r.status_code == 200, r.text
    got = r.json()["landmarks"]
    assert [h["handedness"] for h in got["hands"]] == ["Left"] and got["poses"] == []
    want = foveal.landmarks(path, parts="hands,face").to_dict()
    assert got["faces"][0]["points"] == want["faces"][0]["points"]
    assert len(got["faces"][0]["points"]) == 468
    r = client.post("/v1/landmarks", files=files, data={"parts": "feet"})
    assert r.status_code == 422 and "hands, pose, face" in r.json()["error"]
