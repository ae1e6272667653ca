"""int8 OCR: the detector's and the recognizer's calibration inputs, and the default set.

:class:`~foveal.tasks.ocr.TextReader` with ``precision="int8"`` quantises its DB detector and its
CTC recognizer (static QDQ, :mod:`foveal.runtime.quantize`), each calibrated on its own
preprocessing of the calibration pages: the detector on the pages themselves (at the probe size
and at full size, as it sees them), the recognizer on the text lines the fp32 detector finds on
them (one tensor per line, each as wide as the line). The direction classifier and the layout
model stay fp32 (docs/speed.md has the measurements). The int8 files are cached by the network's
file and the calibration pages' contents (not by the detector that found the lines).

>>> [p.name for p in default_calibration()]
['page.png', 'text.png']
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from foveal.runtime import OpenedModel
from foveal.tasks.ocr.det import TextDetector, det_input_size, det_preprocess

DEFAULT_PAGES = ("page", "text")
"""scikit-image's document-like samples (a photographed book page, a photographed sign): the
default calibration set; ``bench/int8_accuracy.py`` scores neither."""


MAX_CALIBRATION_LINES = 400
"""The recognizer calibrates on at most this many lines (the first pages' lines): its ranges
settle long before, and calibration time and memory stay bounded."""

MAX_DETECTOR_PAGES = 8
"""The detector calibrates on at most this many pages (two inputs each, up to 2000 pixels
long: about 40 MB each, all held during calibration)."""


def default_calibration() -> list[Path]:
    """The default OCR calibration images: scikit-image's ``page.png`` and ``text.png``."""
    from foveal.samples import sample_photos

    return list(sample_photos(DEFAULT_PAGES).values())


def detector_inputs(detector: TextDetector, rgb: np.ndarray) -> list[np.ndarray]:
    """The detector's inputs ``(3, H, W)`` for a page: at its probe size and at full size (the
    two resolutions it runs pages at; duplicates dropped)."""
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    h, w = bgr.shape[:2]
    sides = [detector.max_side] + ([detector.probe_side] if detector.probe_side else [])
    sizes = dict.fromkeys(
        det_input_size(h, w, max_side=s, min_side=detector.min_side) for s in sides
    )
    return [det_preprocess(bgr, size)[0] for size in sizes]


def with_runner(model: OpenedModel, path: Path) -> OpenedModel:
    """``model`` running the ONNX file at ``path`` (its int8 version) with the same threads."""
    from foveal.runtime import OnnxModel

    plan = model.runner.plan  # type: ignore[union-attr]
    return dataclasses.replace(model, runner=OnnxModel(path, plan=plan), path=path)
