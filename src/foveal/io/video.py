"""Video frames as images (OpenCV decoding), for every task that reads images."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from foveal.errors import ConfigError, ImageError
from foveal.io.image import read_error

VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"}
)


def is_video_file(path: str | os.PathLike) -> bool:
    """Whether the name has a video extension.

    >>> is_video_file("clip.MP4"), is_video_file("photo.jpg")
    (True, False)
    """
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


def iter_video(path: str | os.PathLike, *, every: int = 1) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(frame_index, rgb_frame)`` for every ``every``-th frame of a video file.

    Raises:
        ImageError: the file is missing, cannot be opened, or has no readable frame.
    """
    import cv2

    p = Path(path)
    if not p.is_file():
        raise ImageError(f"{p}: no such video file", str(p))
    if every < 1:
        raise ConfigError(f"every must be at least 1, got {every}")
    try:
        with open(p, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise read_error(str(p), exc) from exc
    # FFmpeg's own messages ("moov atom not found" ...) would be a second, cryptic line on stderr:
    # foveal says what is wrong with the file itself.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    cap = cv2.VideoCapture(str(p))
    try:
        if not cap.isOpened():
            raise ImageError(
                f"{p} could not be opened as a video (unsupported codec or not a video)", str(p)
            )
        index = 0
        got_any = False
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            got_any = True
            if index % every == 0:
                yield index, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            index += 1
        if not got_any:
            raise ImageError(f"{p} has no readable frames (corrupt or empty video)", str(p))
    finally:
        cap.release()
