"""The geometry of the landmark pipelines: anchors, crops and projections that undo each other,
MediaPipe's weighted NMS, ROI association, heatmap refinement."""

from __future__ import annotations

import math

import numpy as np

from foveal.tasks.landmarks.geometry import (
    Candidates,
    Roi,
    associate,
    crop,
    points_roi,
    project,
    refine_from_heatmap,
    ssd_anchors,
    weighted_nms,
)


def test_anchor_counts_match_the_networks() -> None:
    assert ssd_anchors(192, (8, 16, 16, 16)).shape == (2016, 2)  # palm detection full
    assert ssd_anchors(224, (8, 16, 32, 32, 32)).shape == (2254, 2)  # pose detection
    a = ssd_anchors(128, (8, 16, 16, 16))
    assert a.shape == (896, 2)  # face detection short range
    assert np.allclose(a[0], [0.5 / 16, 0.5 / 16]) and np.allclose(a[1], a[0])  # 2 per cell
    assert np.allclose(a[512], [0.5 / 8, 0.5 / 8]) and np.allclose(a[512:518], a[512])


def test_crop_then_project_returns_to_the_same_pixel() -> None:
    """A dot in a rotated crop, found in the crop and projected back, lands where it was."""
    image = np.zeros((300, 400, 3), np.uint8)
    image[118:123, 248:253] = 255  # a dot centred at (250, 120)
    for angle in (0.0, 0.6, -2.2, math.pi / 2):
        roi = Roi(230.0, 140.0, 120.0, 120.0, angle)
        tensor = crop(image, roi, 96, (0.0, 1.0))[0]
        gray = tensor.sum(-1)
        ys, xs = np.nonzero(gray > gray.max() * 0.5)
        centre = np.array([[(xs.mean() + 0.5) / 96, (ys.mean() + 0.5) / 96, 0.0]])
        back = project(centre, roi, 400)[0]
        assert np.hypot(back[0] - 250, back[1] - 120) < 1.0, (angle, back)


def test_crop_value_range_and_borders() -> None:
    image = np.full((10, 10, 3), 255, np.uint8)
    roi = Roi(5.0, 5.0, 40.0, 40.0)  # mostly outside the image
    assert np.allclose(crop(image, roi, 16, (-1.0, 1.0)), 1.0)  # edges repeated
    zero = crop(image, roi, 16, (-1.0, 1.0), replicate=False)
    assert zero.min() == -1.0 and zero.max() == 1.0


def test_weighted_nms_averages_overlaps_and_keeps_the_best_score() -> None:
    boxes = np.array([[0, 0, 10, 10], [2, 0, 12, 10], [50, 50, 60, 60]], np.float32)
    kps = np.array([[[0, 0]], [[4, 0]], [[55, 55]]], np.float32)
    kept = weighted_nms(Candidates(boxes, kps, np.array([0.75, 0.25, 0.5], np.float32)), 0.3)
    assert len(kept) == 2 and kept.scores.tolist() == [0.75, 0.5]
    assert np.allclose(kept.boxes[0], [0.5, 0, 10.5, 10]) and np.allclose(kept.keypoints[0], [1, 0])
    assert np.allclose(kept.boxes[1], boxes[2])
    assert len(weighted_nms(Candidates(boxes, kps, np.array([0.75, 0.25, 0.5])), 0.3, 1)) == 1


def test_associate_keeps_one_of_overlapping_regions_the_later() -> None:
    a, b, c = Roi(50, 50, 40, 40), Roi(52, 51, 40, 40, 1.0), Roi(200, 200, 40, 40)
    assert associate([a, b, c]) == [b, c]
    assert associate([a, c]) == [a, c]


def test_points_roi_bounds_rotated_points() -> None:
    rot = 0.5
    c, s = math.cos(rot), math.sin(rot)
    local = np.array([[-10, -20], [10, -20], [10, 20], [-10, 20]], np.float64)
    pts = local @ np.array([[c, s], [-s, c]]) + [100, 80]  # a 20 x 40 box turned by rot
    roi = points_roi(pts, rot)
    assert np.allclose([roi.cx, roi.cy, roi.w, roi.h], [100, 80, 20, 40])


def test_heatmap_refinement_moves_only_confident_points() -> None:
    heat = np.full((64, 64, 2), -20.0, np.float32)
    heat[10, 40, 0] = 5.0  # a confident peak for point 0 near where it is
    pts = np.array([[41.5 / 64, 11.5 / 64], [0.5, 0.5]], np.float32)
    out = refine_from_heatmap(pts, heat)
    assert np.allclose(out[0], [40 / 64, 10 / 64], atol=1e-4)
    assert np.allclose(out[1], pts[1])  # nothing confident around point 1
