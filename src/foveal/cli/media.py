"""What every command that reads images also does with videos: the ``--every N`` / ``--fps F``
options, the progress bar's total in frames, and where a result came from (``source`` and frame
``index``).

Folders, globs and files given by name all contribute their videos; each video gives every
N-th frame as an item named ``clip.mp4#12`` (see :func:`foveal.io.iter_sources`).

>>> from pathlib import Path
>>> from foveal.io import Item
>>> item_fields(Item(None, "clip.mp4#12", Path("clip.mp4"), 12))
{'source': 'clip.mp4', 'index': 12}
>>> item_fields(Item(None, "cat.jpg", Path("cat.jpg")))
{'source': 'cat.jpg'}
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from foveal.errors import ConfigError

if TYPE_CHECKING:
    from foveal.io import Item


def add_frame_options(p: argparse.ArgumentParser, *, every: int = 1) -> None:
    """``--every N`` (in videos, process frames 0, N, 2N, ...) and ``--fps F`` (a target frame
    rate instead: every ``native rate / F``-th frame, as ``foveal track --fps``)."""
    p.add_argument(
        "--every",
        type=int,
        default=every,
        metavar="N",
        help=f"videos: process every N-th frame (default {every})",
    )
    p.add_argument(
        "--fps",
        type=float,
        metavar="F",
        help="videos: about F frames per second instead of --every, e.g. 1",
    )


def check_frame_options(args: argparse.Namespace) -> None:
    """Check ``--every`` and ``--fps`` before any work starts.

    >>> check_frame_options(argparse.Namespace(every=5, fps=None))
    >>> try:
    ...     check_frame_options(argparse.Namespace(every=0, fps=None))
    ... except ConfigError as exc:
    ...     print(exc)
    --every must be at least 1, got 0; e.g. --every 5

    Raises:
        ConfigError: ``--every`` below 1, or ``--fps`` not positive.
    """
    every, fps = args.every, args.fps
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ConfigError(f"--every must be at least 1, got {every!r}; e.g. --every 5")
    if fps is not None and not (fps > 0 and fps != float("inf")):
        raise ConfigError(f"--fps must be a positive frame rate, got {fps!r}; e.g. --fps 1")


def media_total(
    files: Sequence[Path], every: int, fps: float | None = None
) -> tuple[int | None, str]:
    """The progress bar's total (:func:`foveal.io.item_count`) and unit: ``frame`` when videos
    are among the files, else ``img``.

    >>> media_total([Path("a.jpg"), Path("b.png")], 5)
    (2, 'img')
    """
    from foveal.io import is_video_file, item_count

    unit = "frame" if any(is_video_file(f) for f in files) else "img"
    return item_count(files, every=every, fps=fps), unit


def item_fields(item: Item) -> dict[str, Any]:
    """``{"source": file}`` for an image, ``{"source": file, "index": frame}`` for a video frame
    (or a PDF page): the fields every JSON line starts with."""
    fields: dict[str, Any] = {
        "source": os.fspath(item.path) if item.path is not None else item.name
    }
    if item.index is not None:
        fields["index"] = item.index
    return fields


def frame_stem(item: Item) -> str:
    """A file-name stem for an item's output: ``clip-f12`` for frame 12 of ``clip.mp4``,
    ``scan-p2`` for page 2 of a PDF, the file's stem for an image.

    >>> from foveal.io import Item
    >>> frame_stem(Item(None, "v/clip.mp4#12", Path("v/clip.mp4"), 12))
    'clip-f12'
    """
    from foveal.io import is_pdf

    stem = Path(item.path or item.name).stem
    if item.index is None:
        return stem
    key = "p" if item.path is not None and is_pdf(item.path) else "f"
    return f"{stem}-{key}{item.index}"


class OutputNames:
    """File-name stems for one run's outputs in ``out_dir``: :func:`frame_stem`, then
    ``stem-1``, ``stem-2`` ... when an earlier item of the run took it (``a/x.png`` and
    ``b/x.png``) or when one of its files would be an input (``--out`` set to the inputs' own
    folder): nothing is overwritten but what an earlier run wrote.

    >>> from foveal.io import Item
    >>> names = OutputNames(Path("out"), [Path("out/x.png")])
    >>> [names.stem(Item(None, p, Path(p))) for p in ("a/x.png", "b/x.png", "c/y.jpg")]
    ['x-1', 'x-2', 'y']
    """

    def __init__(self, out_dir: Path, inputs: Sequence[str | os.PathLike]) -> None:
        self.out_dir = out_dir
        self.inputs = {os.path.realpath(p) for p in inputs}
        self.used: set[str] = set()

    def stem(self, item: Item, suffixes: Sequence[str] = (".png",)) -> str:
        """A stem whose files (``stem + suffix`` for each of ``suffixes``) are free."""
        base = frame_stem(item)
        n = 0
        while True:
            name = base if n == 0 else f"{base}-{n}"
            files = (os.path.realpath(self.out_dir / f"{name}{s}") for s in suffixes)
            if name not in self.used and not any(f in self.inputs for f in files):
                self.used.add(name)
                return name
            n += 1
