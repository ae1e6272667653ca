"""Drawing detections: a new image with coloured boxes, input untouched."""

from __future__ import annotations

import numpy as np
import pytest

from foveal.results import Detections
from foveal.viz import annotate


def test_annotate_draws_boxes_without_touching_input() -> None:
    img = np.full((200, 300, 3), 255, np.uint8)
    before = img.copy()
    d = Detections(
        np.array([[50, 60, 150, 160]], np.float32), np.array([0.9]), np.array([0]), ["person"]
    )
    out = annotate(img, d)
    np.testing.assert_array_equal(img, before)
    assert out.shape == img.shape and out.dtype == np.uint8
    # the box outline is coloured, its inside (away from the label) stays white
    assert (out[110, 50] != 255).any() and (out[160, 100] != 255).any()
    assert (out[110, 100] == 255).all()
    np.testing.assert_array_equal(annotate(img, Detections.empty()), img)


def test_annotate_rejects_unknown_results() -> None:
    with pytest.raises(TypeError, match="Detections"):
        annotate(np.zeros((4, 4, 3), np.uint8), object())
