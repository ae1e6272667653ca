"""Tracking in ``foveal analyze --track``: the detect results of a video's frames, in order, go
through a :class:`~foveal.tracking.ByteTracker` (a fresh one per video) and each frame's record
gains ``"track": {"tracks": [{"id", "box", "score", "class_id", "name"}]}``.

>>> rt = RecordTracker()
>>> for f in range(3):
...     box = [10 + 5 * f, 10, 40 + 5 * f, 70]
...     rec = {"source": "v.mp4", "frame": f,
...            "detect": {"detections": [{"box": box, "score": 0.9, "class_id": 0,
...                                       "name": "person"}]}}
...     rt.add(rec)
>>> [t["id"] for t in rec["track"]["tracks"]]
[1]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from foveal.results import Detections
from foveal.tracking import ByteTracker, TrackOptions


class RecordTracker:
    """Adds track IDs to analyze records of video frames (records of images are left alone).

    Frames must come in order, one video after the other (the local engine's order).
    """

    def __init__(self, options: TrackOptions | None = None) -> None:
        self.options = options or TrackOptions()
        self.source: str | None = None
        self.tracker = ByteTracker(self.options)

    def add(self, rec: dict[str, Any]) -> None:
        detect = rec.get("detect")
        if rec.get("frame") is None or not isinstance(detect, dict) or "detections" not in detect:
            return
        if rec["source"] != self.source:
            self.source, self.tracker = rec["source"], ByteTracker(self.options)
        found = detect["detections"]
        dets = Detections(
            np.array([d["box"] for d in found], np.float32).reshape(-1, 4),
            [d["score"] for d in found],
            [d["class_id"] for d in found],
            [d["name"] for d in found],
        )
        tracks = self.tracker.update(dets)
        rec["track"] = {"tracks": tracks.to_dict()["tracks"]}
