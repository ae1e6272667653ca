"""ByteTrack-style multi-object tracking in numpy: a Kalman filter per track (batched), two-stage
association (confident boxes first, then low-score boxes for the tracks still unmatched), and
Hungarian matching with ``lap.lapjv``.

>>> import numpy as np
>>> from foveal.results import Detections
>>> tracker = ByteTracker()
>>> for x in range(0, 50, 5):                 # one box moving right, frame after frame
...     det = Detections(np.array([[x, 0, x + 20, 40]]), [0.9], [0], ["person"])
...     tracks = tracker.update(det)
>>> tracks.track_ids.tolist(), tracks.names
([1], ['person'])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from foveal.errors import ConfigError
from foveal.ops.boxes import box_iou
from foveal.results import Detections, Tracks
from foveal.tracking.kalman import BoxKalman, xyah_to_xyxy, xyxy_to_xyah

NEW, TRACKED, LOST = 0, 1, 2
_FORBIDDEN = 1e6  # cost of a pair that may never match (other class)


@dataclass(frozen=True)
class TrackOptions:
    """How tracks are born, matched and ended; every value is per call (per video).

    Attributes:
        high_conf: detections scoring at least this are matched first (stage 1).
        low_conf: detections between ``low_conf`` and ``high_conf`` only extend tracks that
            stage 1 left unmatched (stage 2: ByteTrack's recovery of occluded, low-score boxes);
            lower ones are ignored.
        new_track_conf: an unmatched detection scoring at least this starts a new track.
        match_iou: minimum overlap (IoU, times the score) for stage 1 and for new tracks.
        low_match_iou: minimum IoU for stage 2.
        min_hits: consecutive frames a new track must be seen before it gets an ID and is
            output (birth); on the first frame of a video tracks are confirmed at once.
        max_age: frames a lost track is kept, predicted by its Kalman filter, so that it keeps its
            ID when seen again (death after that).
        low_finds_lost: stage 2 also offers low-score boxes to lost tracks (an object that
            stays partly hidden keeps its ID); the original ByteTrack offers them only to the
            tracks seen in the previous frame.
        class_aware: match only detections of the track's class.
        smooth: output the Kalman-filtered box (as the original ByteTrack does); ``False``:
            the detection's own box.
        trail: centres kept per track for drawing trails (0: none).

    >>> TrackOptions(max_age=0)
    Traceback (most recent call last):
    ...
    foveal.errors.ConfigError: max_age is 0; expected a whole number of frames >= 1 (how long a \
lost track is kept)
    """

    high_conf: float = 0.5
    low_conf: float = 0.1
    new_track_conf: float = 0.6
    match_iou: float = 0.2
    low_match_iou: float = 0.5
    min_hits: int = 2
    max_age: int = 30
    low_finds_lost: bool = True
    class_aware: bool = True
    smooth: bool = True
    trail: int = 30

    def __post_init__(self) -> None:
        for name in ("high_conf", "low_conf", "new_track_conf", "match_iou", "low_match_iou"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 0 <= value <= 1
            ):
                raise ConfigError(f"{name} is {value!r}; expected a number between 0 and 1")
        if self.low_conf > self.high_conf:
            raise ConfigError(
                f"low_conf ({self.low_conf}) is above high_conf ({self.high_conf}); "
                "expected low_conf <= high_conf"
            )
        checks = {
            "min_hits": (1, "frames a new track must be seen"),
            "max_age": (1, "how long a lost track is kept"),
            "trail": (0, "centres kept per track"),
        }
        for name, (low, what) in checks.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ConfigError(
                    f"{name} is {value!r}; expected a whole number of frames >= {low} ({what})"
                )


def assign(cost: np.ndarray, max_cost: float) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-cost one-to-one matching (``lap.lapjv``) keeping pairs of cost ``<= max_cost``:
    ``(rows, cols)``.

    >>> rows, cols = assign(np.array([[0.1, 0.9], [0.9, 0.2], [0.5, 0.5]]), 0.8)
    >>> rows.tolist(), cols.tolist()
    ([0, 1], [0, 1])
    """
    import lap

    if cost.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    _, x, _ = lap.lapjv(np.asarray(cost, np.float64), extend_cost=True, cost_limit=max_cost)
    rows = np.flatnonzero(x >= 0)
    cols = x[rows].astype(np.int64)
    keep = cost[rows, cols] <= max_cost
    return rows[keep], cols[keep]


class ByteTracker:
    """Links the detections of consecutive frames of one video into tracks with stable IDs.

    One tracker per video (it keeps that video's tracks); :meth:`update` takes each frame's
    :class:`~foveal.results.Detections` in order and returns its :class:`~foveal.results.Tracks`.
    IDs count from 1 and are given only to confirmed tracks (see ``min_hits``).

    Args:
        options: a :class:`TrackOptions`, or its fields as keywords.
    """

    def __init__(self, options: TrackOptions | None = None, **kwargs: Any) -> None:
        if options is not None and kwargs:
            raise ConfigError("pass either a TrackOptions or its fields as keywords, not both")
        self.options = options if options is not None else TrackOptions(**kwargs)
        self.kf = BoxKalman()
        self.frame = 0
        self.next_id = 1
        self.mean = np.zeros((0, 8))
        self.cov = np.zeros((0, 8, 8))
        self.state = np.zeros(0, np.int64)
        self.ids = np.zeros(0, np.int64)  # 0 until confirmed
        self.hits = np.zeros(0, np.int64)
        self.last = np.zeros(0, np.int64)  # last frame matched
        self.class_ids = np.zeros(0, np.int64)
        self.scores = np.zeros(0, np.float32)
        self.boxes = np.zeros((0, 4), np.float32)
        self.names: list[str] = []
        self.trail_buf = np.zeros((0, self.options.trail, 2), np.float32)  # newest last
        self.trail_len = np.zeros(0, np.int64)
        self.model = ""
        self.predicted = np.zeros((0, 4))

    def __len__(self) -> int:
        """Tracks held: confirmed, new and lost."""
        return len(self.state)

    def _match(
        self, tracks: np.ndarray, dets: np.ndarray, det: Detections, min_sim: float, fuse: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        if not len(tracks) or not len(dets):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        sim = box_iou(self.predicted[tracks], det.xyxy[dets])
        if fuse:
            sim = sim * det.scores[dets][None, :]
        cost = 1.0 - sim
        if self.options.class_aware:
            other = self.class_ids[tracks][:, None] != det.class_ids[dets][None, :]
            cost[other] = _FORBIDDEN
        rows, cols = assign(cost, 1.0 - min_sim)
        return tracks[rows], dets[cols]

    def _take(self, tracks: np.ndarray, dets: np.ndarray, det: Detections) -> None:
        """Update matched tracks with their detections."""
        if not len(tracks):
            return
        z = xyxy_to_xyah(det.xyxy[dets])
        self.mean[tracks], self.cov[tracks] = self.kf.update(self.mean[tracks], self.cov[tracks], z)
        was_tracked = (self.state[tracks] != LOST) & (self.last[tracks] == self.frame - 1)
        self.hits[tracks] = np.where(was_tracked, self.hits[tracks] + 1, 1)
        self.state[tracks] = TRACKED
        self.last[tracks] = self.frame
        self.class_ids[tracks] = det.class_ids[dets]
        self.scores[tracks] = det.scores[dets]
        self.boxes[tracks] = det.xyxy[dets]
        for t, d in zip(tracks.tolist(), dets.tolist(), strict=True):
            self.names[t] = det.names[d]

    def update(self, detections: Detections) -> Tracks:
        """Advance one frame with its detections; returns the tracks seen in this frame."""
        o = self.options
        det = detections
        self.frame += 1
        self.model = det.model or self.model
        if len(self.state):
            lost = self.state == LOST
            self.mean[lost, 7] = 0.0  # a lost box keeps its size
            self.mean, self.cov = self.kf.predict(self.mean, self.cov)
        self.predicted = xyah_to_xyxy(self.mean[:, :4])  # every track's box in this frame
        scores = det.scores
        high = np.flatnonzero(scores >= o.high_conf)
        low = np.flatnonzero((scores >= o.low_conf) & (scores < o.high_conf))
        confirmed = self.ids > 0
        # stage 1: confident boxes against every confirmed track, lost ones included
        pool = np.flatnonzero(confirmed)
        t1, d1 = self._match(pool, high, det, o.match_iou, fuse=True)
        # stage 2: low-score boxes against the tracks still unmatched (lost ones too, by default)
        taken = np.zeros(len(self.state), bool)
        taken[t1] = True
        seen = self.state[pool] == TRACKED
        if o.low_finds_lost:
            seen |= self.state[pool] == LOST
        rest = pool[seen & ~taken[pool]]
        t2, d2 = self._match(rest, low, det, o.low_match_iou, fuse=False)
        taken[t2] = True
        # new tracks not yet confirmed get the confident boxes left over
        free = np.ones(len(scores), bool)
        free[d1] = False
        high_left = high[free[high]]
        new = np.flatnonzero(~confirmed)
        t3, d3 = self._match(new, high_left, det, o.match_iou, fuse=True)
        taken[t3] = True
        free[d3] = False
        self._take(np.concatenate([t1, t2, t3]), np.concatenate([d1, d2, d3]), det)
        self.state[rest[~taken[rest]]] = LOST  # (lost ones stay lost)
        drop = np.zeros(len(self.state), bool)
        drop[new[~taken[new]]] = True
        # birth: leftover confident boxes start new tracks
        born = high[free[high] & (scores[high] >= o.new_track_conf)]
        # death: lost for longer than max_age
        drop |= (self.state == LOST) & (self.frame - self.last > o.max_age)
        self._drop(drop)
        self._add(born, det)
        promote = (self.ids == 0) & ((self.hits >= o.min_hits) | (self.frame == 1))
        for t in np.flatnonzero(promote):
            self.ids[t] = self.next_id
            self.next_id += 1
        return self._output()

    def _drop(self, drop: np.ndarray) -> None:
        if not drop.any():
            return
        keep = ~drop
        self.trail_buf, self.trail_len = self.trail_buf[keep], self.trail_len[keep]
        self.mean, self.cov, self.state = self.mean[keep], self.cov[keep], self.state[keep]
        self.ids, self.hits, self.last = self.ids[keep], self.hits[keep], self.last[keep]
        self.class_ids, self.scores = self.class_ids[keep], self.scores[keep]
        self.boxes = self.boxes[keep]
        self.names = [n for n, k in zip(self.names, keep.tolist(), strict=True) if k]

    def _add(self, born: np.ndarray, det: Detections) -> None:
        if not len(born):
            return
        mean, cov = self.kf.initiate(xyxy_to_xyah(det.xyxy[born]))
        n = len(born)
        self.mean = np.concatenate([self.mean, mean])
        self.cov = np.concatenate([self.cov, cov])
        self.state = np.concatenate([self.state, np.full(n, TRACKED)])
        self.ids = np.concatenate([self.ids, np.zeros(n, np.int64)])
        self.hits = np.concatenate([self.hits, np.ones(n, np.int64)])
        self.last = np.concatenate([self.last, np.full(n, self.frame)])
        self.class_ids = np.concatenate([self.class_ids, det.class_ids[born]])
        self.scores = np.concatenate([self.scores, det.scores[born]])
        self.boxes = np.concatenate([self.boxes, det.xyxy[born]])
        self.names += [det.names[i] for i in born.tolist()]
        self.trail_buf = np.concatenate(
            [self.trail_buf, np.zeros((n, self.options.trail, 2), np.float32)]
        )
        self.trail_len = np.concatenate([self.trail_len, np.zeros(n, np.int64)])

    def _output(self) -> Tracks:
        shown = np.flatnonzero((self.ids > 0) & (self.last == self.frame))
        boxes = self.boxes[shown]
        if self.options.smooth and len(shown):
            boxes = xyah_to_xyxy(self.mean[shown, :4]).astype(np.float32)
        trails: list[np.ndarray] | None = None
        size = self.options.trail
        if size:
            buf = self.trail_buf
            buf[shown, :-1] = buf[shown, 1:]
            buf[shown, -1] = (boxes[:, :2] + boxes[:, 2:]) / 2
            self.trail_len[shown] = np.minimum(self.trail_len[shown] + 1, size)
            recent = buf[shown]  # a copy: later frames shift the buffer in place
            trails = [recent[i, size - k :] for i, k in enumerate(self.trail_len[shown].tolist())]
        return Tracks(
            xyxy=boxes,
            scores=self.scores[shown],
            class_ids=self.class_ids[shown],
            names=[self.names[t] for t in shown.tolist()],
            track_ids=self.ids[shown],
            trails=trails,
            model=self.model,
        )
