"""The landmarks task: hand (21 points, handedness), body-pose (33) and face-mesh (468) landmarks
with MediaPipe's networks, and :class:`LandmarkTracker`, which follows them through a video.

>>> from foveal.tasks import TASKS
>>> lm = TASKS["landmarks"].load()("astronaut.jpg", parts="face")
>>> lm.faces.shape
(1, 468, 3)

In a video, MediaPipe does not detect every frame: each region's points give the region to
look at in the next frame, and the detector runs only while fewer regions than the maximum are
followed. :class:`LandmarkTracker` does the same; a still image is the first frame of a video.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from foveal.errors import ConfigError
from foveal.io import is_video_file, iter_video
from foveal.results import Landmarks
from foveal.tasks.landmarks.geometry import Roi, associate
from foveal.tasks.landmarks.pipelines import PIPELINES, Pipeline
from foveal.tasks.predictor import Predictor

PARTS = ("hands", "pose", "face")
"""The parts ``--parts`` may name, in the order results list them."""

RESULT_PART = {"hands": "hand", "pose": "pose", "face": "face"}


@dataclass(frozen=True)
class LandmarkOptions:
    """Call options of :class:`LandmarksPredictor` (MediaPipe's defaults).

    Attributes:
        parts: comma-separated parts to find: ``hands``, ``pose``, ``face`` (or a list).
        min_detection: minimum detector score (palm, pose, face) to look at a region (0..1).
        min_presence: minimum presence score of the landmark network to keep a region (0..1).
        max_hands: at most this many hands (MediaPipe's default 2).
        max_faces: at most this many faces (MediaPipe's default 1). Pose finds one person.
    """

    parts: str = "hands,pose,face"
    min_detection: float = 0.5
    min_presence: float = 0.5
    max_hands: int = 2
    max_faces: int = 1

    def part_list(self) -> tuple[str, ...]:
        return tuple(p for p in PARTS if p in self.parts.split(","))


def parse_parts(parts: str | list[str] | tuple[str, ...]) -> str:
    """``parts`` as the checked comma-separated string of :class:`LandmarkOptions`."""
    names = [p.strip() for p in (parts.split(",") if isinstance(parts, str) else parts)]
    names = [p for p in names if p]
    unknown = [p for p in names if p not in PARTS]
    if unknown or not names:
        got = ", ".join(unknown) if unknown else "nothing"
        raise ConfigError(
            f"parts got {got}; expected a comma-separated list of {', '.join(PARTS)} "
            "(e.g. hands,face)"
        )
    return ",".join(p for p in PARTS if p in names)


class LandmarksPredictor(Predictor[Landmarks]):
    """MediaPipe's hand, pose and face-mesh pipelines, each image on its own (stateless: one
    instance serves every thread). Use :meth:`tracker` to follow regions through a video."""

    task = "landmarks"
    Options = LandmarkOptions
    batch_size = 1

    def __init__(self) -> None:
        self.pipelines: dict[str, Pipeline] = {name: cls() for name, cls in PIPELINES.items()}

    def check_options(self, options: LandmarkOptions) -> LandmarkOptions:
        parts = options.parts
        for name in ("min_detection", "min_presence"):
            value = getattr(options, name)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} must be within 0..1, got {value!r}")
        for name in ("max_hands", "max_faces"):
            value = getattr(options, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a whole number of at least 1, got {value!r}")
        return replace(options, parts=parse_parts(parts))

    def prepare(self, image: np.ndarray) -> np.ndarray:
        return image

    def run(self, prepared: list[np.ndarray], options: LandmarkOptions) -> list[Landmarks]:
        return [self.find(image, options, {})[0] for image in prepared]

    def find(
        self, image: np.ndarray, options: LandmarkOptions, tracked: dict[str, list[Roi]]
    ) -> tuple[Landmarks, dict[str, list[Roi]]]:
        """The landmarks in ``image`` and the regions to follow in the next frame, starting from
        the regions ``tracked`` from the previous frame (``{}`` for a still image)."""
        parts, points, scores, handed, visible = [], [], [], [], []
        follow: dict[str, list[Roi]] = {}
        limits = {"hands": options.max_hands, "pose": 1, "face": options.max_faces}
        for name in options.part_list():
            pipe = self.pipelines[name]
            rois = list(tracked.get(name, []))
            if len(rois) < limits[name]:
                found = pipe.detect(image, min_score=options.min_detection, max_count=limits[name])
                rois = associate(found + rois)
            follow[name] = []
            for roi in rois[: limits[name]]:
                got = pipe.landmarks(image, roi, min_presence=options.min_presence)
                if got is None:
                    continue
                parts.append(RESULT_PART[name])
                points.append(got.points)
                scores.append(got.score)
                handed.append(got.handedness)
                visible.append(got.visibility)
                follow[name].append(got.next_roi)
        h, w = image.shape[:2]
        result = Landmarks(parts, points, scores, handed, visible, width=w, height=h)
        return result, follow

    def tracker(self, **options: object) -> LandmarkTracker:
        """A :class:`LandmarkTracker` for one video, with these call options."""
        return LandmarkTracker(self, self.options(**options))


class LandmarkTracker:
    """Follows hands, a pose and faces from frame to frame, as MediaPipe's video mode does: the
    points of one frame give the regions of the next; detectors run only while fewer regions
    than the maximum are followed. One tracker per video (it holds that video's state).

    >>> import numpy as np
    >>> from foveal.tasks import TASKS
    >>> tr = TASKS["landmarks"].load().tracker(parts="hands")
    >>> len(tr.update(np.zeros((120, 160, 3), np.uint8)))
    0
    """

    def __init__(self, predictor: LandmarksPredictor, options: LandmarkOptions) -> None:
        self.predictor = predictor
        self.options = options
        self.rois: dict[str, list[Roi]] = {}

    def update(self, frame: np.ndarray) -> Landmarks:
        """The landmarks of the next frame (RGB ``uint8``)."""
        result, self.rois = self.predictor.find(frame, self.options, self.rois)
        return result

    def reset(self) -> None:
        self.rois = {}


def track_frames(
    predictor: LandmarksPredictor,
    path: str | os.PathLike,
    *,
    every: int = 1,
    track: bool = True,
    **options: object,
) -> Iterator[tuple[np.ndarray, Landmarks]]:
    """``(frame, landmarks)`` for every ``every``-th frame of the video ``path``, regions
    followed from frame to frame (``track=False``: every frame on its own). Each result's
    ``source`` is the video and ``index`` the frame number (from 0)."""
    if not is_video_file(path):
        raise ConfigError(f"{path} is not a video file; expected a video (.mp4, .avi ...)")
    tracker = predictor.tracker(**options)
    source = os.fspath(path)
    for index, frame in iter_video(path, every=every):
        if not track:
            tracker.reset()
        yield frame, replace(tracker.update(frame), source=source, index=index)


def track_video(
    predictor: LandmarksPredictor, path: str | os.PathLike, *, every: int = 1, **options: object
) -> Iterator[Landmarks]:
    """The landmarks of :func:`track_frames`, without the frames."""
    return (result for _, result in track_frames(predictor, path, every=every, **options))
