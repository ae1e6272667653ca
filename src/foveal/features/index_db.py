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


def find_changes(files: Sequence[str], roots: Sequence[str], known: Known, prune: bool) -> Changes:
    """Compare files (absolute paths) with the database: by path, then size and mtime; a file
    whose size or mtime changed is hashed and only re-embedded when its content changed. With
    ``prune``, entries of given files that are gone, or of files missing under ``roots``, go."""
    out = Changes()
    seen = set()
    for path in files:
        if path in seen:
            continue
        seen.add(path)
        try:
            st = os.stat(path)
        except OSError as exc:
            out.unreadable.append((path, exc))
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
        out.gone = [
            (p, v[3])
            for p, v in known.items()
            if (p in explicit and not os.path.exists(p)) or (is_under(p, roots) and p not in seen)
        ]
    return out
