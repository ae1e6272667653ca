"""One drawer table: every result type has a drawer, subclasses inherit theirs, new result types
join with register_drawer, anything else is refused in one line; foveal.viz is reachable from a
plain ``import foveal`` while ``import foveal`` and the results stay free of PIL and OpenCV."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from foveal import results, viz
from foveal.viz import DRAWERS, annotate, class_key, drawer_for, register_drawer
from foveal.viz.detections import draw_detections


def test_every_result_class_has_a_drawer() -> None:
    for cls in (results.Classification, results.Detections, results.Faces, results.TextLines):
        assert class_key(cls) in DRAWERS
        assert callable(cls.plot) and callable(cls.save)


def test_subclass_uses_its_base_drawer() -> None:
    class Tracked(results.Detections):
        pass

    d = Tracked(np.array([[2, 2, 20, 20]]), [0.8], [0], ["person"])
    assert drawer_for(d) is draw_detections
    img = np.full((40, 40, 3), 255, np.uint8)
    assert (annotate(img, d)[10, 2] != 255).any()


def test_register_a_new_result_type(monkeypatch: pytest.MonkeyPatch) -> None:
    @dataclass
    class Points:
        xy: np.ndarray

    def draw_points(canvas, points, *, value: int = 0) -> None:
        for x, y in points.xy:
            canvas.putpixel((int(x), int(y)), (value, value, value))

    monkeypatch.setattr(viz, "DRAWERS", dict(DRAWERS))  # the table is restored after the test
    register_drawer(Points, draw_points)
    img = np.full((8, 8, 3), 255, np.uint8)
    out = annotate(img, Points(np.array([[3, 4]])), value=7)
    assert class_key(Points) in viz.DRAWERS and class_key(Points) not in DRAWERS
    assert out[4, 3].tolist() == [7, 7, 7] and int((out != 255).any(axis=2).sum()) == 1
    assert (img == 255).all()


def test_unknown_result_is_refused_in_one_line() -> None:
    with pytest.raises(TypeError) as err:
        annotate(np.zeros((4, 4, 3), np.uint8), {"detections": []})
    message = str(err.value)
    assert "\n" not in message and "received a dict" in message
    assert (
        "Classification, Detections, Faces, Landmarks, Restoration, Segmentation, TextLines, Tracks"
        in message
        and "register_drawer" in message
    )


def test_viz_reachable_after_import_foveal_and_imports_stay_cheap() -> None:
    code = (
        "import sys, foveal, foveal.results\n"
        "heavy = [m for m in ('PIL', 'cv2', 'foveal.viz') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert 'viz' in dir(foveal) and 'viz' not in foveal.__all__\n"
        "assert callable(foveal.viz.annotate)\n"
        "print(foveal.viz.annotate.__module__)\n"
    )
    import foveal

    env = {**os.environ, "PYTHONPATH": str(Path(foveal.__file__).parents[1])}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "foveal.viz"
