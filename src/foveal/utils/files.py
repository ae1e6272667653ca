"""Atomic file writes: a reader never sees a half-written file, and a crash leaves the old one.

>>> from foveal.utils.files import atomic_write_text
>>> atomic_write_text("run/config.json", "{}")
PosixPath('run/config.json')
>>> Path("run/config.json").read_text()
'{}'

New files get the permissions ``open()`` would give them (``0o666`` minus the umask), not the
``0o600`` of a bare ``mkstemp``; a replaced file keeps its permissions.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def new_file_mode() -> int:
    """``0o666`` minus the process umask: what ``open()`` gives a new file."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_path(
    target: str | os.PathLike, *, suffix: str = ".part", fsync: bool = False
) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; when the block succeeds it is renamed over
    ``target``.

    >>> with atomic_path("model.onnx") as tmp:
    ...     _ = tmp.write_bytes(b"data")
    >>> Path("model.onnx").read_bytes(), list(Path(".").glob(".model.onnx.*"))  # no temp left
    (b'data', [])
    """
    out = Path(target)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=suffix, dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if fsync:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        os.chmod(tmp, (out.stat().st_mode & 0o777) if out.exists() else new_file_mode())
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, fsync: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_path(path, fsync=fsync) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str, *, fsync: bool = False) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically; returns the path."""
    return atomic_write_bytes(path, text.encode("utf-8"), fsync=fsync)


def atomic_copy(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Copy ``src`` to ``dst`` atomically (the destination appears complete or not at all)."""
    import shutil

    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)
    return Path(dst)
