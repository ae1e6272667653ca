"""The SQLite side of an image index: schema, transactions, extractor state, file changes.

``index.sqlite`` is the truth of an index folder: the extractor that built it, its learned state
and one row per file (path, size, mtime_ns, sha256, vector float32 blob).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import FovealError
from foveal.io import is_pdf, is_video_file
from foveal.io.video import video_step

SCHEMA_VERSION = "1"
DB_NAME = "index.sqlite"

Known = dict[str, tuple[int, int, str, int]]
"""``{path: (size, mtime_ns, sha256, row id)}`` of the files in the database."""


class IndexMismatchError(FovealError):
    """An index was built with one extractor and queried with another."""


def connect(path: Path) -> sqlite3.Connection:
    """An autocommit connection in WAL mode (readers never block the writer)."""
    con = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    return con


class transaction:  # noqa: N801 - used like a function: ``with transaction(con):``
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error) on an autocommit connection."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def __enter__(self) -> sqlite3.Connection:
        self.con.execute("BEGIN IMMEDIATE")
        return self.con

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.con.execute("ROLLBACK" if exc_type else "COMMIT")


def create_schema(con: sqlite3.Connection, extractor: dict[str, Any]) -> None:
    """Create the tables of a new index that ``extractor`` (its description) fills."""
    with transaction(con):
        con.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        con.execute("CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, data BLOB NOT NULL)")
        con.execute(
            "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "path TEXT UNIQUE NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, "
            "sha256 TEXT NOT NULL, vector BLOB NOT NULL, added REAL NOT NULL)"
        )
        existing = dict(con.execute("SELECT key, value FROM meta").fetchall())
        if not existing:
            con.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [
                    ("schema", SCHEMA_VERSION),
                    ("extractor", json.dumps(extractor, sort_keys=True)),
                    ("generation", "0"),
                    ("created", str(time.time())),
                ],
            )


def state_to_blob(state: dict[str, np.ndarray]) -> bytes:
    """An extractor's learned state (named arrays) as an ``.npz`` blob.

    >>> state_from_blob(state_to_blob({"v": np.arange(3)}))["v"].tolist()
    [0, 1, 2]
    """
    buf = io.BytesIO()
    np.savez(buf, **state)
    return buf.getvalue()


def state_from_blob(blob: bytes) -> dict[str, np.ndarray]:
    """The named arrays of a blob written by :func:`state_to_blob`."""
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def describe_extractor(desc: dict[str, Any]) -> str:
    """An extractor description in one line, for error messages.

    >>> describe_extractor({"name": "hog", "dim": 8, "params": {"cell": 4}})
    '\\'hog\\' (8-d, {"cell": 4})'
    """
    return (
        f"{desc['name']!r} ({desc['dim']}-d, {json.dumps(desc.get('params', {}), sort_keys=True)})"
    )


def ctor_kwargs(desc: dict[str, Any]) -> dict[str, Any]:
    """Constructor keyword arguments that rebuild an extractor from its stored description."""
    params = dict(desc.get("params", {}))
    if desc["name"] in ("hog", "gabor", "lbp", "color_hist", "sift_bovw"):
        return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    out: dict[str, Any] = {}
    if params.get("input_size"):
        out["input_size"] = tuple(params["input_size"])
    return out


def sha256_of(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """The hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def abspath(p: str | os.PathLike) -> str:
    """The absolute path as a string (how the index stores paths)."""
    return os.path.abspath(os.fspath(p))


def entry_file(path: str) -> str:
    """The file an entry's vector came from: the video of a frame entry (``/v/clip.mp4#12``), the
    PDF of a page entry (``/d/scan.pdf#page=2``), else the entry's own path.

    >>> entry_file("/v/clip.mp4#12"), entry_file("/d/scan.pdf#page=2"), entry_file("/p/a#1.jpg")
    ('/v/clip.mp4', '/d/scan.pdf', '/p/a#1.jpg')
    """
    base, sep, tag = path.rpartition("#")
    if sep and tag.isdigit() and is_video_file(base):
        return base
    if sep and tag.startswith("page=") and tag[5:].isdigit() and is_pdf(base):
        return base
    return path


def entry_number(path: str) -> int:
    """The frame (or page) number of an entry of :func:`entry_file`'s kind.

    >>> entry_number("/v/clip.mp4#12"), entry_number("/d/scan.pdf#page=2")
    (12, 2)
    """
    return int(path.rpartition("#")[2].removeprefix("page="))


def is_under(path: str, roots: Sequence[str]) -> bool:
    """Whether ``path`` is one of ``roots`` or inside one of them.

    >>> is_under("/a/b/c.jpg", ["/a/b"]), is_under("/a/bc.jpg", ["/a/b"])
    (True, False)
    """
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


@dataclass
class Changes:
    """What an update must do: ``todo`` files to embed ``(path, size, mtime_ns)``, ``touch`` rows
    whose content is unchanged ``(size, mtime_ns, id)``, ``gone`` entries ``(path, id)``."""

    todo: list[tuple[str, int, int]] = field(default_factory=list)
    touch: list[tuple[int, int, int]] = field(default_factory=list)
    gone: list[tuple[str, int]] = field(default_factory=list)
    unchanged: int = 0
    unreadable: list[tuple[str, OSError]] = field(default_factory=list)
    parts: dict[str, dict[str, int]] = field(default_factory=dict)
    """The stored entries ``{entry: row id}`` of every video or PDF in ``todo`` (frames/pages):
    those not written again by the update are stale."""


def _group_parts(known: Known) -> dict[str, dict[str, int]]:
    """``{video or PDF file: {entry: row id}}`` of the frame and page entries in ``known``."""
    out: dict[str, dict[str, int]] = {}
    for entry, row in known.items():
        f = entry_file(entry)
        if f != entry:
            out.setdefault(f, {})[entry] = row[3]
    return out


def _sampled_as(entries: Sequence[str], every: int) -> bool:
    """Whether stored frame entries are frames 0, ``every``, 2 * ``every``, ... (a video indexed
    with another ``every`` is indexed again)."""
    numbers = sorted(entry_number(e) for e in entries)
    return numbers == list(range(0, numbers[-1] + 1, every))


def find_changes(
    files: Sequence[str],
    roots: Sequence[str],
    known: Known,
    prune: bool,
    every: int = 1,
    fps: float | None = None,
) -> Changes:
    """Compare files (absolute paths) with the database: by path, then size and mtime; a file
    whose size or mtime changed is hashed and only re-embedded when its content changed. A video
    (or PDF) is compared through its frame (page) entries ``clip.mp4#N``; a video indexed with
    another step (``every``, or ``fps``: :func:`foveal.io.video.video_step`) is embedded again.
    With ``prune``, entries of given files that are gone, or of files missing under ``roots``,
    go."""
    out = Changes()
    seen = set()
    parts = _group_parts(known)
    for path in files:
        if path in seen:
            continue
        seen.add(path)
        try:
            st = os.stat(path)
        except OSError as exc:
            out.unreadable.append((path, exc))
            continue
        mine = parts.get(path)
        if mine is not None:  # a video or PDF indexed before, entry by entry
            rows = [known[e] for e in mine]
            resampled = is_video_file(path) and not _sampled_as(
                list(mine), video_step(path, stride=every, fps=fps)
            )
            if resampled:
                out.todo.append((path, st.st_size, st.st_mtime_ns))
                out.parts[path] = mine
            elif all((r[0], r[1]) == (st.st_size, st.st_mtime_ns) for r in rows):
                out.unchanged += len(rows)
            elif all(r[2] == rows[0][2] for r in rows) and sha256_of(path) == rows[0][2]:
                out.touch.extend((st.st_size, st.st_mtime_ns, r[3]) for r in rows)
            else:
                out.todo.append((path, st.st_size, st.st_mtime_ns))
                out.parts[path] = mine
            continue
        old = known.get(path)
        if old is None:
            out.todo.append((path, st.st_size, st.st_mtime_ns))
        elif (old[0], old[1]) == (st.st_size, st.st_mtime_ns):
            out.unchanged += 1
        elif sha256_of(path) == old[2]:
            out.touch.append((st.st_size, st.st_mtime_ns, old[3]))
        else:
            out.todo.append((path, st.st_size, st.st_mtime_ns))
    if prune:
        explicit = set(files)
        out.gone = []
        for p, v in known.items():
            f = entry_file(p)
            if (f in explicit and not os.path.exists(f)) or (is_under(f, roots) and f not in seen):
                out.gone.append((p, v[3]))
    return out
