"""What ``foveal analyze`` reads: image files, folders, glob patterns, video files (sampled
frames) and PDFs (one item per page).

>>> import os, shutil
>>> from foveal.analyze.sources import expand_inputs, iter_items
>>> os.makedirs("photos")
>>> for name in ["coffee.png", "cat.jpg"]:
...     _ = shutil.copy(name, "photos/")
>>> paths = expand_inputs(["photos/", "astronaut.jpg"])        # folders: sorted
>>> paths
['photos/cat.jpg', 'photos/coffee.png', 'astronaut.jpg']
>>> [(item.source, item.frame) for item in iter_items(paths)]   # frame: None for an image
[('photos/cat.jpg', None), ('photos/coffee.png', None), ('astronaut.jpg', None)]

A video gives one item per sampled frame (``fps`` frames per second of video)::

    for item in iter_items(["clip.mp4"], fps=1.0):
        print(item.source, item.frame)
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from foveal.errors import ConfigError, ImageError
from foveal.io import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, is_video_file
from foveal.io.pdf import is_pdf, render_pdf


@dataclass(frozen=True)
class Item:
    """One image to analyse: a file, one frame of a video or one page of a PDF (the last two
    decoded already)."""

    source: str
    frame: int | None = None
    time: float | None = None
    image: np.ndarray | None = None
    error: str | None = None
    page: int | None = None

    @property
    def part(self) -> int | None:
        """The frame of a video or the page (from 1) of a PDF: what tells its records apart."""
        return self.frame if self.frame is not None else self.page

    @property
    def label(self) -> str:
        """How reports name it: ``a.jpg``, ``clip.mp4#12`` or ``scan.pdf#page=2``."""
        if self.frame is not None:
            return f"{self.source}#{self.frame}"
        return self.source if self.page is None else f"{self.source}#page={self.page}"

    @property
    def key(self) -> tuple[str, int | None]:
        return record_key(self.source, self.part)


def record_key(source: str, frame: int | None) -> tuple[str, int | None]:
    """The identity of a record, used to resume: (resolved absolute path, frame or None).

    The same file typed as ``a.jpg``, ``./a.jpg``, ``../photos/a.jpg`` or through a symlink, from
    any working directory, has one key.
    """
    return os.path.realpath(source), frame


def fingerprint(source: str) -> str | None:
    """A cheap content identity of a file, ``"SIZE:MTIME_NS"`` (None if it cannot be read).

    A file moved or renamed with its folder keeps it, so a resumed run recognises its records.
    """
    try:
        st = os.stat(source)
    except OSError:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}"


def _wanted(name: str) -> bool:
    ext = os.path.splitext(name)[1].lower()
    return ext in IMAGE_EXTENSIONS or ext in VIDEO_EXTENSIONS or ext == ".pdf"


def _inside(path: str, folders: Sequence[str]) -> bool:
    real = os.path.realpath(path)
    return any(real == f or real.startswith(f.rstrip(os.sep) + os.sep) for f in folders)


def _walk(folder: str, recursive: bool, skip: Sequence[str]) -> list[str]:
    """Image and video files of a folder, sorted; folders in ``skip`` (resolved) are not entered
    and symlinked folders are not followed (no loops)."""
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if recursive and not _inside(os.path.join(root, d), skip)]
        found.extend(
            os.path.join(root, f)
            for f in files
            if _wanted(f) and os.path.isfile(os.path.join(root, f))
        )
    return sorted(found)


def expand_inputs(
    inputs: Sequence[str | os.PathLike],
    *,
    recursive: bool = True,
    exclude: Sequence[str | os.PathLike] = (),
) -> list[str]:
    """Files, folders and glob patterns -> file paths (folders: images, videos and PDFs, sorted).

    Files named explicitly are kept whatever their extension, so a bad file is reported, not
    dropped. Folders and glob patterns never yield a file of ``exclude`` or a file under a
    folder of ``exclude`` (the outputs of the run, so a run does not read what an earlier run
    wrote).

    Raises:
        ImageError: an input matches nothing.
        ConfigError: an input folder is one of ``exclude`` or inside one.
    """
    skip = [os.path.realpath(e) for e in exclude]
    out: list[str] = []
    for item in inputs:
        text = os.fspath(item)
        path = Path(text)
        if path.is_dir():
            if _inside(text, skip):
                raise ConfigError(
                    f"{text} holds outputs of this run (--out), which are never read as input; "
                    "pass another input folder or another --out"
                )
            out.extend(_walk(str(path), recursive, skip))
        elif path.is_file():
            out.append(text)
        elif any(ch in text for ch in "*?["):
            matches = sorted(p for p in glob.glob(text, recursive=True) if Path(p).is_file())
            if not matches:
                raise ImageError(f"the pattern {text!r} matches no file", text)
            out.extend(p for p in matches if not _inside(p, skip))
        else:
            raise ImageError(f"{text}: no such file or folder", text)
    return out


def _open_video(path: str):  # -> cv2.VideoCapture
    import cv2

    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        cap.release()
        raise ImageError(
            f"{path} could not be opened as a video (OpenCV/FFmpeg cannot read it)", path
        )
    return cap


def video_info(path: str) -> tuple[float, int]:
    """(frames per second, frame count) of a video; fps falls back to 25 when the file does not
    say."""
    import cv2

    cap = _open_video(path)
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    finally:
        cap.release()
    return (fps if fps > 0 else 25.0), count


def video_frames(path: str, fps: float | None) -> Iterator[tuple[int, float, np.ndarray]]:
    """Yield ``(frame index, time in s, RGB frame)``, about ``fps`` frames per second (all when
    None).

    Frames are read in order (skipped ones are only grabbed, not decoded), so memory stays flat.
    """

    if fps is not None and fps <= 0:
        raise ConfigError(f"--fps must be positive, got {fps}")
    native, _ = video_info(path)
    cap = _open_video(path)
    try:
        step = 0.0 if fps is None else 1.0 / fps
        next_t = 0.0
        index = 0
        while cap.grab():
            t = index / native
            if t + 1e-9 >= next_t:
                ok, bgr = cap.retrieve()
                if ok and bgr is not None:
                    yield index, round(t, 3), np.ascontiguousarray(bgr[..., ::-1])
                next_t += step
                while step and next_t <= t:
                    next_t += step
            index += 1
    finally:
        cap.release()


def read_frame(path: str, index: int) -> np.ndarray:
    """One RGB frame by index (seeks; used for report thumbnails)."""
    import cv2

    cap = _open_video(path)
    try:
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, bgr = cap.read()
    finally:
        cap.release()
    if not ok or bgr is None:
        raise ImageError(f"{path}: frame {index} could not be read", path)
    return np.ascontiguousarray(bgr[..., ::-1])


def estimate_count(paths: Sequence[str], fps: float | None) -> int:
    """How many items :func:`iter_items` will yield (video frame counts estimated from headers)."""
    n = 0
    for p in paths:
        if not is_video_file(p):
            n += 1
            continue
        try:
            native, count = video_info(p)
        except ImageError:
            n += 1
            continue
        n += count if fps is None else max(1, int(np.ceil(count / native * fps - 1e-9)))
    return n


def iter_items(paths: Iterable[str], fps: float | None = 1.0) -> Iterator[Item]:
    """One :class:`Item` per image file, per sampled video frame and per PDF page (a video or PDF
    that fails carries ``error``; pages are rendered one at a time, at 200 dpi)."""
    for p in paths:
        if is_pdf(p):
            try:
                for page, rgb in render_pdf(p):
                    yield Item(p, image=rgb, page=page)
            except ImageError as exc:
                yield Item(p, error=str(exc))
            continue
        if not is_video_file(p):
            yield Item(p)
            continue
        try:
            for index, t, rgb in video_frames(p, fps):
                yield Item(p, index, t, rgb)
        except ImageError as exc:
            yield Item(p, error=str(exc))
