"""Multi-object tracking: link each frame's detections into tracks with stable IDs.

* :class:`ByteTracker` — ByteTrack in numpy (Kalman filter, two-stage association, ``lap``).
* :class:`TrackOptions` — birth, matching and death parameters (per video).
* :class:`LineCounter` — in/out counts per class across a line.
* :func:`mot_lines` / :func:`read_mot` — MOTChallenge text files.

The verb :func:`foveal.track` runs a detector and a tracker over videos.
"""

from foveal.tracking.bytetrack import ByteTracker, TrackOptions, assign
from foveal.tracking.counting import LineCounter, parse_line
from foveal.tracking.kalman import BoxKalman
from foveal.tracking.mot import MotFileError, mot_lines, read_mot

__all__ = [
    "BoxKalman",
    "ByteTracker",
    "LineCounter",
    "MotFileError",
    "TrackOptions",
    "assign",
    "mot_lines",
    "parse_line",
    "read_mot",
]
