"""Video frames as images (OpenCV decoding), for every task that reads images, and H.264 MP4
writing (PyAV, libx264) for annotated videos."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

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
            first = fh.read(1)
    except OSError as exc:
        raise read_error(str(p), exc) from exc
    if not first:
        raise ImageError(f"{p} is empty (0 bytes); expected a video file", str(p))
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


def video_info(path: str | os.PathLike) -> tuple[float, int]:
    """``(frames_per_second, frame_count)`` from a video's header: ``25.0`` when the file gives no
    rate, ``0`` frames when it gives no count (the count is the container's, so it may be off by a
    few frames)."""
    import cv2

    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    cap = cv2.VideoCapture(os.fspath(path))
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    finally:
        cap.release()
    return (fps if fps > 0 else 25.0), max(count, 0)


def video_step(path: str | os.PathLike, *, stride: int = 1, fps: float | None = None) -> int:
    """How many frames to advance between processed frames: ``stride``, or with ``fps`` (a target
    rate) the video's own rate divided by it, rounded (at least 1).

    >>> video_step("clip.mp4", stride=3)
    3

    Raises:
        ConfigError: ``stride`` below 1 or ``fps`` not positive.
    """
    if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
        raise ConfigError(f"stride is {stride!r}; expected a whole number of frames >= 1")
    if fps is None:
        return stride
    if not fps > 0:
        raise ConfigError(f"fps is {fps!r}; expected a positive frame rate, e.g. 10")
    native, _ = video_info(path)
    return max(1, round(native / fps))


def check_h264(where: str | os.PathLike) -> None:
    """Raise when this PyAV build cannot encode H.264 (libx264): videos for ``where`` would not be
    written; checked before any work starts.

    >>> check_h264("annotated/")  # the PyPI wheels of PyAV include libx264

    Raises:
        ConfigError: no libx264 encoder.
    """
    import av

    if "libx264" not in av.codecs_available:
        raise ConfigError(
            f"{os.fspath(where)}: H.264 encoding (libx264) is not available in this PyAV build "
            f"(av {av.__version__}); reinstall the PyPI wheel, which includes it: "
            "pip install --force-reinstall av"
        )


def video_codec(path: str | os.PathLike) -> str:
    """The codec name of a video file's first video stream, read back with PyAV (``"h264"`` for
    what :class:`VideoWriter` writes).

    Raises:
        ImageError: the file is missing or is not a video.
    """
    import av

    p = Path(path)
    try:
        with av.open(str(p)) as container:
            if not container.streams.video:
                raise ImageError(f"{p} has no video stream", str(p))
            return str(container.streams.video[0].codec_context.name)
    except (OSError, av.error.FFmpegError) as exc:  # type: ignore[attr-defined]
        raise ImageError(f"{p} could not be opened as a video: {exc}", str(p)) from exc


class VideoWriter:
    """An H.264 MP4 (libx264, yuv420p: what browsers play) written frame by frame, atomically:
    frames go to a hidden ``.NAME.part.mp4`` next to ``path``, renamed to ``path`` by
    :meth:`close` (or removed with ``keep=False``, or when the ``with`` block raises).

    Odd widths and heights (yuv420p needs even ones) get their last row or column repeated.

    Args:
        path: the ``.mp4`` file to write.
        fps: frames per second.
        crf: x264 quality (0 lossless ... 51 worst; 23 is x264's default).

    Raises:
        ConfigError: fps not positive, or this PyAV build has no libx264 encoder.
    """

    def __init__(self, path: str | os.PathLike, fps: float, *, crf: int = 23) -> None:
        import av

        if not fps > 0:
            raise ConfigError(f"fps must be positive, got {fps}")
        check_h264(path)
        self.path = Path(path)
        self.tmp = self.path.with_name(f".{self.path.stem}.part.mp4")
        self.fps = Fraction(fps).limit_denominator(1001)
        self.crf = crf
        self.frames = 0
        self.size: tuple[int, int] | None = None
        self._container = av.open(str(self.tmp), mode="w", format="mp4")
        self._stream: Any = None

    def write(self, frame: np.ndarray) -> None:
        """Add one ``H x W x 3`` uint8 RGB frame (every frame the size of the first)."""
        import av

        frame = np.ascontiguousarray(frame, dtype=np.uint8)
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise ImageError(
                f"{self.path}: a video frame must be H x W x 3 RGB, got shape {frame.shape}"
            )
        h, w = frame.shape[:2]
        if self._stream is None:
            self.size = (w, h)
            stream = self._container.add_stream("libx264", rate=self.fps)
            stream.width, stream.height = w + w % 2, h + h % 2
            stream.pix_fmt = "yuv420p"
            stream.options = {"crf": str(self.crf)}
            self._stream = stream
        elif (w, h) != self.size:
            raise ImageError(
                f"{self.path}: frame {self.frames} is {w}x{h}, the video is "
                f"{self.size[0]}x{self.size[1]}; every frame of a video has one size"  # type: ignore[index]
            )
        if w % 2 or h % 2:
            frame = np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
        vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
        vf.pts = self.frames
        vf.time_base = 1 / self.fps
        for packet in self._stream.encode(vf):
            self._container.mux(packet)
        self.frames += 1

    def close(self, *, keep: bool = True) -> Path | None:
        """Finish the file and rename it into place (``keep``), or remove it; returns the path
        written, ``None`` when nothing was kept (no frame, or ``keep=False``)."""
        if self._container is None:  # closed already
            return None
        try:
            if self._stream is not None and keep:
                for packet in self._stream.encode(None):
                    self._container.mux(packet)
        finally:
            self._container.close()
            self._container = None
        if keep and self.frames:
            os.replace(self.tmp, self.path)
            return self.path
        self.tmp.unlink(missing_ok=True)
        return None

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.close(keep=exc_type is None)


def write_video(path: str | os.PathLike, frames: Iterable[np.ndarray], fps: float) -> Path:
    """Write RGB ``frames`` as an H.264 MP4 at ``fps`` (atomically, see :class:`VideoWriter`).

    Raises:
        ImageError: no frame at all, or frames of different sizes.
    """
    with VideoWriter(path, fps) as writer:
        for frame in frames:
            writer.write(frame)
        if not writer.frames:
            raise ImageError(f"{path}: no frames to write", os.fspath(path))
    return Path(path)
