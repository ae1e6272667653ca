"""Shared helpers for the face tests: the dlib-XML ground truth of shared/data/faces/detection."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np


def dlib_xml_boxes(xml: Path) -> dict[Path, np.ndarray]:
    """``{image path: (N, 4) xyxy}`` from a dlib imglab XML file
    (``<box top left width height>``)."""
    out = {}
    for im in ET.parse(xml).getroot().iter("image"):
        boxes = [
            [
                float(b.get("left")),
                float(b.get("top")),
                float(b.get("left")) + float(b.get("width")),
                float(b.get("top")) + float(b.get("height")),
            ]
            for b in im.iter("box")
            if b.get("ignore", "0") != "1"
        ]
        out[xml.parent / im.get("file")] = np.asarray(boxes, np.float32).reshape(-1, 4)
    return out
