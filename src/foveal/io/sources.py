"""Every kind of input, handled once: files, folders, globs, lists, videos (per frame), PDFs (per
page), numpy arrays, PIL images and encoded bytes.

>>> import numpy as np
>>> [item.name for item in iter_sources(np.zeros((4, 4, 3), np.uint8))]
['<array (4, 4, 3) uint8>']
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from foveal.errors import ImageError
from foveal.io.image import (
    IMAGE_EXTENSIONS,
    ImageSource,
    describe_source,
    load_image,
    read_error,
)
from foveal.io.pdf import is_pdf, render_pdf
from foveal.io.video import is_video_file, iter_video, video_step

Sources = ImageSource | Iterable[ImageSource]
"""One source or many: what every predictor and verb accepts."""


def is_image_file(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def _is_media(path: Path) -> bool:
    return is_image_file(path) or is_video_file(path) or is_pdf(path)


def expand_sources(
    inputs: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    recursive: bool = True,
    media: bool = False,
) -> list[Path]:
    """Turn files, folders and glob patterns into a sorted list of paths.

    Files named explicitly are kept whatever their extension (so a bad file is reported, not
    silently dropped); folders contribute files with an image extension (and, with ``media``,
    videos and PDFs too).

    Raises:
        ImageError: an input matches nothing, or the system cannot read it (the reason is said).
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    found: list[Path] = []
    for item in inputs:
        text = os.fspath(item)
        try:
            found.extend(_expand_one(text, recursive=recursive, media=media))
        except OSError as exc:
            raise read_error(text, exc) from exc
    return found


def _expand_one(text: str, *, recursive: bool, media: bool) -> list[Path]:
    keep = _is_media if media else is_image_file
    path = Path(text)
    found: list[Path] = []
    if path.is_dir():
        with os.scandir(path):  # an unreadable folder is an error, not an empty one
            pass
        pattern = "**/*" if recursive else "*"
        found.extend(sorted(p for p in path.glob(pattern) if p.is_file() and keep(p)))
    elif path.exists():  # named explicitly: kept, so that load_image says what is wrong with it
        found.append(path)
    elif any(ch in text for ch in "*?["):
        matches = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not matches:
            raise ImageError(f"the pattern {text!r} matches no file", text)
        found.extend(matches)
    else:
        raise ImageError(f"{text}: no such file or folder", text)
    return found


def item_count(
    paths: Iterable[str | os.PathLike], *, every: int = 1, fps: float | None = None
) -> int | None:
    """About how many items :func:`iter_sources` gives for these files (for a progress bar): an
    image or a PDF counts one, a video its sampled frames (``every``, or ``fps``: see
    :func:`foveal.io.video.video_step`) as its header counts them; ``None`` when a video's header
    gives no count.

    >>> item_count(["a.jpg", "b.png"])
    2
    """
    from foveal.io.video import video_info, video_step

    total = 0
    for path in paths:
        if is_video_file(path):
            frames = video_info(path)[1]
            if not frames:
                return None
            total += -(-frames // video_step(path, stride=every, fps=fps))
        else:
            total += 1
    return total


@dataclass(frozen=True)
class Item:
    """One image to process: what to load, and how to name it in results and reports.

    Attributes:
        source: what :func:`foveal.io.load_image` reads (a path, bytes, an array or a PIL image;
            for video frames and PDF pages, the decoded RGB array).
        name: a path, ``"clip.mp4#12"`` (frame 12) or ``"scan.pdf#page=2"``, or a short description.
        path: the file it came from, if any.
        index: the frame (from 0) or page (from 1) number inside ``path``, if any.
    """

    source: ImageSource = field(repr=False)
    name: str
    path: Path | None = None
    index: int | None = None

    def load(self) -> np.ndarray:
        return load_image(self.source)


def is_single_source(source: object) -> bool:
    """Whether ``source`` is exactly one image (an array, PIL image, bytes, or an image file path)
    rather than many (a list, folder, glob, video or PDF).

    >>> is_single_source(np.zeros((2, 2, 3), np.uint8)), is_single_source(["a.jpg", "b.jpg"])
    (True, False)
    """
    if isinstance(source, (np.ndarray, Image.Image, bytes, bytearray, memoryview)):
        return True
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if is_video_file(path) or is_pdf(path):
            return False
        text = os.fspath(source)
        try:
            if path.is_dir():
                return False
            return path.exists() or not any(ch in text for ch in "*?[")
        except OSError:  # unreadable: one input, which load_image reports
            return True
    return False


def single_item(source: object) -> Item | None:
    """The :class:`Item` of ``source`` when it is exactly one image (see :func:`is_single_source`),
    else ``None``. An existing image file costs one system call: this is every ``predict(path)``.

    >>> single_item(np.zeros((2, 2, 3), np.uint8)).name, single_item(["a.jpg", "b.jpg"])
    ('<array (2, 2, 3) uint8>', None)
    """
    if isinstance(source, (np.ndarray, Image.Image, bytes, bytearray, memoryview)):
        return Item(source, describe_source(source))
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        suffix = path.suffix.lower()
        if suffix in IMAGE_EXTENSIONS:
            try:
                if stat.S_ISREG(path.stat().st_mode):
                    return Item(path, os.fspath(path), path)
            except OSError:
                pass  # the general path below names the problem
    return next(iter_sources(source)) if is_single_source(source) else None


def iter_sources(
    sources: Sources,
    *,
    every: int = 1,
    dpi: float = 200.0,
    report: BatchReport | None = None,
    fps: float | None = None,
) -> Iterator[Item]:
    """Yield an :class:`Item` per image in ``sources``, in order, lazily (memory stays flat).

    Folders (recursively) and globs give their images, videos and PDFs; a video gives every
    ``every``-th frame (with ``fps``, a target rate: every ``native rate / fps``-th, see
    :func:`foveal.io.video.video_step`); a PDF gives its pages rendered at ``dpi``. An input that
    matches nothing or cannot be opened goes into ``report`` (or raises :class:`ImageError`
    without one).
    """
    if (
        is_single_source(sources)
        or isinstance(sources, (str, os.PathLike))
        or not isinstance(sources, Iterable)
    ):
        sources = [sources]  # type: ignore[list-item]
    for src in sources:  # type: ignore[union-attr]
        if not isinstance(src, (str, os.PathLike)):
            yield Item(src, describe_source(src))
            continue
        try:
            paths = expand_sources(src, media=True)
        except ImageError as exc:
            if report is None:
                raise
            report.add_bad(src, exc)
            continue
        for path in paths:
            yield from _expand_file(path, every=every, dpi=dpi, report=report, fps=fps)


def _expand_file(
    path: Path, *, every: int, dpi: float, report: BatchReport | None, fps: float | None
) -> Iterator[Item]:
    name = os.fspath(path)
    if not (is_video_file(path) or is_pdf(path)):
        yield Item(path, name, path)
        return
    try:
        if is_video_file(path):
            step = every if fps is None else video_step(path, stride=every, fps=fps)
            for i, frame in iter_video(path, every=step):
                yield Item(frame, f"{name}#{i}", path, i)
        else:
            for page, rgb in render_pdf(path, dpi=dpi):
                yield Item(rgb, f"{name}#page={page}", path, page)
    except OSError as exc:
        if report is None:
            raise read_error(name, exc) from exc
        report.add_bad(name, read_error(name, exc))
    except ImageError as exc:
        if report is None:
            raise
        report.add_bad(name, exc)


@dataclass
class BadItem:
    """One input that could not be processed, and why."""

    source: str
    error: str

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source, "error": self.error}

    def describe(self) -> str:
        """``source: error``, or the error alone when it already starts with the source's name.

        >>> BadItem("a.jpg", "a.jpg is empty (0 bytes)").describe()
        'a.jpg is empty (0 bytes)'
        >>> BadItem("<3 bytes>", "not an image").describe()
        '<3 bytes>: not an image'
        """
        return self.error if self.error.startswith(self.source) else f"{self.source}: {self.error}"


@dataclass
class BatchReport:
    """What a batch run processed and skipped. Filled in as the run goes."""

    ok: int = 0
    bad: list[BadItem] = field(default_factory=list)

    def add_bad(self, source: object, error: Exception | str) -> None:
        name = source.name if isinstance(source, Item) else describe_source(source)
        self.bad.append(BadItem(name, str(error)))

    def summary(self) -> str:
        lines = [f"{self.ok} image(s) processed, {len(self.bad)} skipped"]
        lines += [f"  skipped {b.describe()}" for b in self.bad]
        return "\n".join(lines)


def iter_images(
    sources: Iterable[ImageSource],
    *,
    max_pixels: int | None = None,
    report: BatchReport | None = None,
) -> Iterator[tuple[ImageSource, np.ndarray]]:
    """Yield ``(source, image)`` for each readable source; unreadable ones go into ``report``.

    >>> _ = open("bad.jpg", "wb").write(b"not an image")
    >>> report = BatchReport()
    >>> [src for src, img in iter_images(["cat.jpg", "bad.jpg"], report=report)]
    ['cat.jpg']
    >>> report.ok, report.bad
    (1, [BadItem(source='bad.jpg', error='bad.jpg is not an image foveal can read ...')])
    """
    for src in sources:
        try:
            img = load_image(src, max_pixels=max_pixels)
        except ImageError as exc:
            if report is None:
                raise
            report.add_bad(src, exc)
            continue
        if report is not None:
            report.ok += 1
        yield src, img
