"""The gallery's SQLite schema, and the check that a database file is a foveal gallery before
anything is written to it.

A gallery carries SQLite's ``application_id`` :data:`APPLICATION_ID` (``FVLG``) in its header. A
file is accepted when it has that id, when it holds no table at all (a new or empty database:
foveal initialises it), or when its tables are exactly a gallery's (a gallery made before the id
was written). Anything else is another program's database: it is refused without a write.

>>> import sqlite3
>>> db = sqlite3.connect(":memory:")
>>> check_gallery_schema(db, "mem.db")
'new'
>>> _ = db.execute("CREATE TABLE invoices (id INTEGER)")
>>> check_gallery_schema(db, "mem.db")
Traceback (most recent call last):
...
foveal.gallery.schema.GalleryError: mem.db is an SQLite database of another program (tables: ...
"""

from __future__ import annotations

import os
import sqlite3

from foveal.errors import FovealError

SCHEMA_VERSION = "1"
APPLICATION_ID = 0x46564C47  # "FVLG"
GALLERY_TABLES = frozenset({"meta", "people", "faces"})

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS people (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS faces (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    embedding BLOB NOT NULL,
    source TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS faces_person ON faces(person_id);
"""


class GalleryError(FovealError, ValueError):
    """A gallery operation was refused (unknown person, duplicate name, wrong embedder ...)."""


def check_gallery_schema(db: sqlite3.Connection, path: str | os.PathLike) -> str:
    """``"gallery"`` (a foveal gallery), ``"new"`` (no tables yet: safe to initialise); raise
    :class:`GalleryError` for any other database. Only reads.

    Raises:
        GalleryError: another program's database, or a gallery of a newer schema.
        sqlite3.DatabaseError: the file is not an SQLite database.
    """
    app_id = int(db.execute("PRAGMA application_id").fetchone()[0])
    tables = {
        r[0]
        for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not str(r[0]).startswith("sqlite_")
    }
    if app_id not in (0, APPLICATION_ID):
        raise GalleryError(
            f"{path} is an SQLite database of another program (application_id {app_id:#x}), "
            "not a foveal gallery; foveal leaves it untouched. Give a new file or an existing "
            "gallery with --gallery PATH"
        )
    if not tables:
        return "new"
    if app_id != APPLICATION_ID and tables != GALLERY_TABLES:
        shown = ", ".join(sorted(tables)[:8]) + (", ..." if len(tables) > 8 else "")
        raise GalleryError(
            f"{path} is an SQLite database of another program (tables: {shown}), not a foveal "
            "gallery; foveal leaves it untouched. Give a new file or an existing gallery with "
            "--gallery PATH"
        )
    if not GALLERY_TABLES <= tables:
        raise GalleryError(
            f"{path} is a damaged foveal gallery: table(s) "
            f"{', '.join(sorted(GALLERY_TABLES - tables))} missing; enrol again into a new file "
            "(--gallery NEW.db)"
        )
    row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if row is not None and str(row[0]) != SCHEMA_VERSION:
        raise GalleryError(
            f"{path} is a foveal gallery of schema {row[0]!r}; this foveal reads schema "
            f"{SCHEMA_VERSION}. Open it with the foveal that made it, or use another --gallery"
        )
    return "gallery"


def create_schema(db: sqlite3.Connection) -> None:
    """Create the tables (inside the caller's transaction) and mark the file as a gallery."""
    for stmt in filter(str.strip, SCHEMA.split(";")):
        db.execute(stmt)
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
    db.execute("INSERT OR IGNORE INTO meta VALUES ('revision', '0')")


def parse_dim(raw: str | None, path: str | os.PathLike) -> int:
    """The ``dim`` metadata as a positive int; a :class:`GalleryError` for anything else."""
    try:
        dim = int(str(raw).strip())
    except ValueError:
        dim = 0
    if dim <= 0:
        raise GalleryError(
            f"{path}: the gallery's metadata says dim={raw!r}; expected a positive whole number "
            "of embedding values. The gallery is damaged: enrol again into a new file "
            "(--gallery NEW.db)"
        )
    return dim
