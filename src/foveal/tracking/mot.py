"""MOTChallenge text files: one line per box, ``frame,id,x,y,w,h,score,-1,-1,-1`` (frames and IDs
from 1, ``x,y`` the top-left corner, ``w,h`` the size, in pixels).

>>> import numpy as np
>>> from foveal.results import Tracks
>>> mot_lines(3, Tracks(np.array([[10, 20, 40, 80]]), [0.9], [0], ["person"], [7]))
['3,7,10.00,20.00,30.00,60.00,0.9000,-1,-1,-1']
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from foveal.errors import FovealError
from foveal.results import Tracks


class MotFileError(FovealError, ValueError):
    """A MOTChallenge text file could not be read (missing, empty, or a malformed line)."""


def mot_lines(frame: int, tracks: Tracks) -> list[str]:
    """The MOTChallenge lines of one frame (``frame`` counted from 1)."""
    out = []
    for tid, (x1, y1, x2, y2), s in zip(tracks.track_ids, tracks.xyxy, tracks.scores, strict=True):
        out.append(
            f"{frame},{int(tid)},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},{s:.4f},-1,-1,-1"
        )
    return out


def read_mot(path: str | os.PathLike) -> np.ndarray:
    """A MOTChallenge file as an ``(N, 7)`` float64 array: frame, id, x, y, w, h, score.

    Ground-truth files (``frame,id,x,y,w,h,flag,class,visibility``) keep only rows whose flag
    (7th column) is not 0, as the MOT benchmark does.

    Raises:
        MotFileError: the file is missing or empty, or a line has fewer than 6 numbers.
    """
    p = Path(path)
    if not p.is_file():
        raise MotFileError(f"{p}: no such file; expected a MOTChallenge text file")
    rows = []
    with open(p, encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            text = line.strip()
            if not text:
                continue
            cells = text.replace(" ", ",").split(",") if "," not in text else text.split(",")
            try:
                values = [float(c) for c in cells[:7]]
            except ValueError:
                values = []
            if len(values) < 6 or not np.isfinite(values).all():
                raise MotFileError(
                    f"{p}:{number}: {text[:60]!r} is not a MOTChallenge line; expected "
                    "frame,id,x,y,w,h[,score,...] numbers"
                )
            if len(values) == 6:
                values.append(1.0)
            rows.append(values)
    if not rows:
        raise MotFileError(f"{p} holds no boxes; expected MOTChallenge lines frame,id,x,y,w,h,...")
    data = np.array(rows, np.float64)
    return data[data[:, 6] != 0]
