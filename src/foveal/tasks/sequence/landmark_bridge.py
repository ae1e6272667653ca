"""The seam between sequence models and hand / pose landmarks.

**To be wired at merge** with ``foveal.landmarks`` (built on another branch): until then every
function here raises one clear line. Sequence code calls only these two functions, so wiring them
is the whole change.

* :func:`landmark_features` — per-frame landmark vectors for clip features ``hands``, ``pose``,
  ``holistic``;
* :func:`hand_points` — the 21 hand points of each frame of a stream (pixels, NaN where no hand),
  for ``foveal gestures`` (a generator: regions can be tracked from frame to frame).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from foveal.errors import FovealError

PARTS = ("hands", "pose", "holistic")


class LandmarksUnavailableError(FovealError):
    """Landmark features were asked for, but this foveal has no landmark detector."""


def _missing(what: str, instead: str) -> LandmarksUnavailableError:
    return LandmarksUnavailableError(
        f"{what} needs foveal landmarks (foveal.landmarks: MediaPipe hand/pose models), which this "
        f"installation lacks; {instead}"
    )


def landmark_features(frames: Sequence[np.ndarray], parts: str) -> np.ndarray:
    """``(T, D)`` float32 landmark vectors of RGB ``frames`` for ``parts`` (``hands``: 2 x 21 x
    (x, y) relative to the wrist; ``pose``: 33 x (x, y); ``holistic``: both), zeros where a part
    is not found.

    Raises:
        LandmarksUnavailableError: until ``foveal.landmarks`` is wired in.
    """
    raise _missing(f"--features {parts}", "use --features cnn, or a CSV of landmark rows")


def hand_points(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """For each RGB frame, in order: ``(21, 2)`` pixel coordinates of the first hand (MediaPipe
    order: 0 wrist, 8 index fingertip), NaN where no hand is found.

    Raises:
        LandmarksUnavailableError: until ``foveal.landmarks`` is wired in.
    """
    raise _missing(
        "gesture recognition from video",
        "classify fingertip rows with 'foveal sequence predict ROWS.csv' instead",
    )
