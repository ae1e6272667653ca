"""Counting tracks that cross a line, per class and direction.

``in`` is a crossing towards the right-hand side of the line's direction ``(x1, y1) -> (x2, y2)``
as seen on the image (y down): for a line drawn left to right, moving down is ``in``.

>>> import numpy as np
>>> from foveal.results import Tracks
>>> counter = LineCounter((0, 50, 100, 50))
>>> for y in (30, 40, 60, 70):               # track 1 walks down across y = 50
...     _ = counter.update(Tracks(np.array([[40, y - 5, 60, y + 5]]), [0.9], [0], ["person"], [1]))
>>> counter.counts
{'person': {'in': 1, 'out': 0}}
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from foveal.errors import ConfigError
from foveal.results import Tracks


def parse_line(text: str | Sequence[float]) -> tuple[float, float, float, float]:
    """``"x1,y1,x2,y2"`` (or four numbers) -> a line segment of non-zero length.

    >>> parse_line("0,10,100,10")
    (0.0, 10.0, 100.0, 10.0)
    """
    parts = text.split(",") if isinstance(text, str) else list(text)
    try:
        values = tuple(float(p) for p in parts)
    except (TypeError, ValueError):
        values = ()
    if len(values) != 4 or not all(np.isfinite(values)):
        raise ConfigError(
            f"line {text!r} is not four numbers; expected x1,y1,x2,y2 in pixels, e.g. 0,300,768,300"
        )
    x1, y1, x2, y2 = values
    if (x1, y1) == (x2, y2):
        raise ConfigError(f"line {text!r} has both ends at one point; give two different points")
    return x1, y1, x2, y2


class LineCounter:
    """Counts, per class name, the tracks whose box centre crosses a line segment, each way.

    A track counts once per crossing (crossing back counts the other way). One counter per
    video, fed every frame's tracks in order.
    """

    def __init__(self, line: str | Sequence[float], *, forget_after: int = 300) -> None:
        self.line = parse_line(line)
        self.forget_after = forget_after
        self.counts: dict[str, dict[str, int]] = {}
        self.sides: dict[int, tuple[float, int]] = {}  # track id -> (side, frame last seen)
        self.frame = 0

    def _side_and_extent(self, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x1, y1, x2, y2 = self.line
        d = np.array([x2 - x1, y2 - y1])
        rel = centres - np.array([x1, y1])
        side = d[0] * rel[:, 1] - d[1] * rel[:, 0]
        along = rel @ d / float(d @ d)
        return side, along

    def update(self, tracks: Tracks) -> list[tuple[int, str, str]]:
        """Add one frame; returns its crossings ``(track_id, name, "in" | "out")``."""
        self.frame += 1
        events: list[tuple[int, str, str]] = []
        if len(tracks):
            centres = (tracks.xyxy[:, :2] + tracks.xyxy[:, 2:]).astype(np.float64) / 2
            side, along = self._side_and_extent(centres)
            for tid, name, s, a in zip(
                tracks.track_ids.tolist(), tracks.names, side, along, strict=True
            ):
                if s == 0:
                    continue
                prev = self.sides.get(tid)
                self.sides[tid] = (float(s), self.frame)
                if prev is None or (prev[0] > 0) == (s > 0) or not 0 <= a <= 1:
                    continue
                way = "in" if s > 0 else "out"
                self.counts.setdefault(name, {"in": 0, "out": 0})[way] += 1
                events.append((tid, name, way))
        if self.frame % 50 == 0:  # bounded memory on long videos
            old = [t for t, (_, f) in self.sides.items() if self.frame - f > self.forget_after]
            for t in old:
                del self.sides[t]
        return events

    def to_dict(self) -> dict[str, object]:
        return {"line": list(self.line), "counts": self.counts}
