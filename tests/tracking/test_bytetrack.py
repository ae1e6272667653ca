"""foveal.tracking: the ByteTrack-style tracker, its Kalman filter, line counting and MOT files."""

from __future__ import annotations

import numpy as np
import pytest

from foveal.errors import ConfigError
from foveal.results import Detections, ResultError, Tracks
from foveal.tracking import BoxKalman, ByteTracker, LineCounter, MotFileError, mot_lines, read_mot
from foveal.tracking.kalman import xyah_to_xyxy, xyxy_to_xyah
from foveal.viz import annotate


def dets(boxes, scores, classes=None, names=None) -> Detections:
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    n = len(boxes)
    classes = np.zeros(n, int) if classes is None else np.asarray(classes)
    names = names or ["person"] * n
    return Detections(boxes, np.asarray(scores, np.float32).reshape(-1), classes, names)


def box_at(x: float, y: float = 100.0, w: float = 30.0, h: float = 60.0) -> list[float]:
    return [x, y, x + w, y + h]


def test_kalman_matches_textbook_filter_per_track() -> None:
    """The batched filter equals the textbook equations run one track at a time."""
    rng = np.random.default_rng(0)
    kf = BoxKalman()
    z0 = np.array([[100.0, 50.0, 0.5, 80.0], [300.0, 200.0, 0.4, 120.0]])
    mean, cov = kf.initiate(z0)
    ref = [(mean[i].copy(), cov[i].copy()) for i in range(2)]
    F = np.eye(8)
    F[:4, 4:] = np.eye(4)
    H = np.eye(4, 8)
    for _ in range(6):
        mean, cov = kf.predict(mean, cov)
        z = mean[:, :4] + rng.normal(0, 2, (2, 4)) * [1, 1, 0.01, 1]
        mean, cov = kf.update(mean, cov, z)
        for i, (m, p) in enumerate(ref):
            h = m[3]
            q = np.diag(np.r_[[h / 20, h / 20, 1e-2, h / 20], [h / 160, h / 160, 1e-5, h / 160]])
            m, p = F @ m, F @ p @ F.T + q**2
            r = np.diag([m[3] / 20, m[3] / 20, 1e-1, m[3] / 20]) ** 2
            s = H @ p @ H.T + r
            k = p @ H.T @ np.linalg.inv(s)
            m, p = m + k @ (z[i] - H @ m), (np.eye(8) - k @ H) @ p
            ref[i] = (m, p)
            np.testing.assert_allclose(mean[i], m, rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(cov[i], p, rtol=1e-7, atol=1e-9)


def test_box_conversions_round_trip() -> None:
    boxes = np.array([[10.0, 20.0, 50.0, 120.0], [0.0, 0.0, 1.0, 3.0]])
    np.testing.assert_allclose(xyah_to_xyxy(xyxy_to_xyah(boxes)), boxes)


def test_stable_id_through_short_occlusion_and_new_id_after_max_age() -> None:
    tracker = ByteTracker(max_age=5)
    seen = []
    for f in range(30):
        x = 10 + 4 * f
        hidden = 10 <= f < 14  # 4 frames without a detection: within max_age
        gone = 20 <= f < 27  # 7 frames: longer than max_age, a new track afterwards
        boxes = [] if hidden or gone else [box_at(x)]
        t = tracker.update(dets(boxes, [0.9] * len(boxes)))
        seen.append(t.track_ids.tolist())
    assert seen[0] == [1] and seen[9] == [1]
    assert seen[10:14] == [[]] * 4
    assert seen[14] == [1]  # found again where its Kalman filter predicted it
    assert seen[27] == []  # a newborn track waits min_hits=2 frames for its ID
    assert seen[28] == [2]


def test_low_score_boxes_keep_a_track_alive_only_in_stage_two() -> None:
    def run(low_conf: float) -> list[list[int]]:
        tracker = ByteTracker(low_conf=low_conf, max_age=1)
        out = []
        for f in range(12):
            score = 0.3 if 4 <= f < 8 else 0.9  # partly hidden: low scores for 4 frames
            out.append(tracker.update(dets([box_at(10 + 3 * f)], [score])).track_ids.tolist())
        return out

    assert run(0.1) == [[1]] * 12
    lost = run(0.35)  # boxes below low_conf are ignored: the track dies, a new one is born
    assert lost[4:8] == [[]] * 4 and lost[8] == [] and lost[9] == [2]


def test_crossing_objects_keep_their_ids() -> None:
    tracker = ByteTracker()
    first = last = None
    for f in range(40):
        a, b = box_at(20 + 6 * f, 100), box_at(260 - 6 * f, 110)  # cross around frame 20
        t = tracker.update(dets([a, b], [0.9, 0.8]))
        order = np.argsort(t.xyxy[:, 1])  # a is the upper one
        if f == 2:
            first = t.track_ids[order].tolist()
        last = t.track_ids[order].tolist()
    assert first == last == [1, 2]


def test_class_aware_matching_and_names() -> None:
    tracker = ByteTracker()
    tracker.update(dets([box_at(10)], [0.9], [0], ["person"]))
    t = tracker.update(dets([box_at(11)], [0.9], [2], ["car"]))  # same place, other class
    assert t.track_ids.tolist() == []  # a new car track, not yet confirmed
    t = tracker.update(dets([box_at(12)], [0.9], [2], ["car"]))
    assert t.names == ["car"] and t.track_ids.tolist() == [2]
    mixed = ByteTracker(class_aware=False)
    mixed.update(dets([box_at(10)], [0.9], [0], ["person"]))
    assert mixed.update(dets([box_at(11)], [0.9], [2], ["car"])).track_ids.tolist() == [1]


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"high_conf": 1.5}, "high_conf is 1.5; expected a number between 0 and 1"),
        ({"low_conf": 0.7, "high_conf": 0.5}, "low_conf (0.7) is above high_conf (0.5)"),
        ({"min_hits": 0}, "min_hits is 0; expected a whole number of frames >= 1"),
        ({"max_age": 2.5}, "max_age is 2.5"),
    ],
)
def test_bad_options_are_one_clear_error(bad, message) -> None:
    with pytest.raises(ConfigError) as err:
        ByteTracker(**bad)
    assert message in str(err.value)


def test_tracks_result_validates_filters_and_serialises() -> None:
    t = Tracks(
        np.array([[0, 0, 10, 10], [5, 5, 20, 30]]),
        [0.9, 0.4],
        [0, 2],
        ["person", "car"],
        track_ids=[3, 8],
        trails=[np.zeros((1, 2)), np.ones((3, 2))],
    )
    sure = t[t.scores > 0.5]
    assert sure.track_ids.tolist() == [3] and len(sure.trails) == 1
    rec = t.to_dict()["tracks"][1]
    assert rec == {
        "id": 8,
        "box": [5.0, 5.0, 20.0, 30.0],
        "score": 0.4,
        "class_id": 2,
        "name": "car",
    }
    with pytest.raises(ResultError, match="repeat an ID"):
        Tracks(np.zeros((2, 4)), [0.5, 0.5], [0, 0], ["a", "a"], track_ids=[1, 1])
    with pytest.raises(ResultError, match="track_ids \\(1\\)"):
        Tracks(np.zeros((2, 4)), [0.5, 0.5], [0, 0], ["a", "a"], track_ids=[1])


def test_drawer_paints_boxes_and_trails() -> None:
    tracker = ByteTracker()
    for f in range(10):
        t = tracker.update(dets([box_at(10 + 8 * f, 20)], [0.9]))
    assert len(t.trails[0]) == 10
    image = np.zeros((120, 200, 3), np.uint8)
    drawn = annotate(image, t)
    cx, cy = t.trails[0][2]  # an old centre, far from the current box: only the trail is there
    assert drawn[int(cy) - 1 : int(cy) + 2, int(cx)].max() > 0
    assert not image.any()  # the input is untouched


def test_line_counter_counts_each_way_per_class() -> None:
    counter = LineCounter("0,50,100,50")
    path = [(1, "person", [30, 40, 60, 70]), (2, "car", [70, 60, 40, 30])]
    for k in range(4):
        boxes = [[40, y[k] - 5, 60, y[k] + 5] for _, _, y in path]
        counter.update(Tracks(np.array(boxes), [0.9, 0.9], [0, 2], ["person", "car"], [1, 2]))
    assert counter.counts == {"person": {"in": 1, "out": 0}, "car": {"in": 0, "out": 1}}
    far = LineCounter((0, 50, 10, 50))  # a short segment: crossing beside it does not count
    for y in (40, 60):
        far.update(Tracks(np.array([[40, y - 5, 60, y + 5]]), [0.9], [0], ["person"], [1]))
    assert far.counts == {}
    with pytest.raises(ConfigError, match="not four numbers"):
        LineCounter("0,1,2")


def test_mot_lines_round_trip_and_bad_file(tmp_path) -> None:
    t = Tracks(np.array([[10, 20, 40, 80]]), [0.75], [0], ["person"], [4])
    path = tmp_path / "pred.txt"
    path.write_text("\n".join(mot_lines(1, t) + mot_lines(2, t)) + "\n")
    rows = read_mot(path)
    np.testing.assert_allclose(
        rows[:, :7], [[1, 4, 10, 20, 30, 60, 0.75], [2, 4, 10, 20, 30, 60, 0.75]]
    )
    bad = tmp_path / "bad.txt"
    bad.write_text("1,1,10,20,30,40\n2,x,10\n")
    with pytest.raises(MotFileError, match="bad.txt:2: .* is not a MOTChallenge line"):
        read_mot(bad)
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(MotFileError, match="holds no boxes"):
        read_mot(tmp_path / "empty.txt")
