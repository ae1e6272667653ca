"""The face gallery: an embedded SQLite database (WAL) of people and their face embeddings.

>>> from foveal.gallery import Gallery
>>> g = Gallery("faces.db")
>>> ada = np.full((1, 128), 0.05, np.float32)  # 128-d face embeddings (dlib's size)
>>> g.enroll("ada", ada, embedder="dlib_resnet.v1").faces
1
>>> names, distances = g.match(np.vstack([ada + 0.01, ada + 0.1]), threshold=0.6)
>>> names, distances.round(2)
(['ada', 'unknown'], array([0.11, 1.13], dtype=float32))

Every change is one SQLite transaction (``BEGIN IMMEDIATE``): a crash or a kill in the middle of an
enrolment leaves the database as it was before, and concurrent writers (threads or processes)
wait for each other instead of losing rows. The embedder that made the vectors is recorded; vectors
of another embedder (another dimension or metric) are refused.

Duplicate names: enrolling a name that exists adds the new faces to that person; pass
``new=True`` to refuse instead.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from foveal.gallery.index import ExactIndex, build_index
from foveal.gallery.schema import GalleryError, check_gallery_schema, create_schema, parse_dim

UNKNOWN = "unknown"


def default_gallery_path() -> Path:
    """``faces.db`` in the user-data folder: ``$FOVEAL_HOME/faces.db`` when ``FOVEAL_HOME`` is
    set, else ``$XDG_DATA_HOME/foveal/faces.db`` (``~/.local/share/foveal/faces.db``); a gallery
    left at the old place (``~/.cache/foveal/faces.db``) is moved there once."""
    from foveal.zoo.resolve import data_file

    return data_file("faces.db")


@dataclass(frozen=True)
class Person:
    """One enrolled person."""

    name: str
    faces: int
    created: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "faces": self.faces, "created": self.created}


class Gallery:
    """People and face embeddings in one SQLite file.

    Args:
        path: the database file (created with its folder); default :func:`default_gallery_path`.
        index: ``"auto"`` (numpy, FAISS for >= 50,000 faces when installed), ``"numpy"`` or
            ``"faiss"``.
        timeout: seconds a writer waits for another writer's transaction before giving up.
    """

    def __init__(
        self, path: str | os.PathLike | None = None, *, index: str = "auto", timeout: float = 60.0
    ) -> None:
        self.path = Path(path) if path is not None else default_gallery_path()
        if self.path.is_dir():
            raise GalleryError(
                f"{self.path} is a folder; expected a gallery database file such as faces.db"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.index_backend = index
        self._lock = threading.RLock()
        self._depth = 0
        self._cache: tuple[str, ExactIndex, np.ndarray, list[str]] | None = None
        try:
            self._db = sqlite3.connect(
                str(self.path), timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise GalleryError(
                f"{self.path}: cannot open the gallery ({exc}); expected a readable, writable "
                "database file: check the path and its permissions, or use another --gallery"
            ) from exc
        try:
            self._db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            # read-only checks first: another program's database is refused before any write
            kind = check_gallery_schema(self._db, self.path)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            if kind == "new":
                with self.transaction():
                    if check_gallery_schema(self._db, self.path) == "new":  # not made meanwhile
                        create_schema(self._db)
        except GalleryError:
            self._db.close()
            raise
        except sqlite3.DatabaseError as exc:
            self._db.close()
            if isinstance(exc, sqlite3.OperationalError) and not _accessible(self.path):
                raise GalleryError(
                    f"{self.path}: cannot open the gallery (permission denied); expected a "
                    "readable, writable database file and folder: check their permissions"
                ) from exc
            raise GalleryError(
                f"{self.path} is not a foveal gallery (SQLite said: {exc}); give a gallery file "
                "made by foveal, or a new file, with --gallery PATH"
            ) from exc

    # -- transactions ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Gallery]:
        """One atomic write transaction (nested calls join the outer one).

        >>> g = Gallery("faces.db")
        >>> with g.transaction():  # both people, or (on an error) neither
        ...     _ = g.enroll("a", np.zeros(128)); _ = g.enroll("b", np.ones(128))
        >>> [p.name for p in g.people()]
        ['a', 'b']
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def _bump(self) -> None:
        self._db.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision'"
        )

    def _meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # -- embedder bookkeeping --------------------------------------------------------------------
    @property
    def embedder(self) -> dict[str, Any] | None:
        """``{"name", "dim", "metric"}`` of the embedder that made this gallery's vectors
        (None if empty)."""
        name = self._meta("embedder")
        if name is None:
            return None
        metric = self._meta("metric") or "euclidean"
        if metric not in ("euclidean", "cosine"):
            raise GalleryError(
                f"{self.path}: the gallery's metadata says metric={metric!r}; expected "
                "'euclidean' or 'cosine'. The gallery is damaged: enrol again into a new file "
                "(--gallery NEW.db)"
            )
        return {"name": name, "dim": parse_dim(self._meta("dim"), self.path), "metric": metric}

    def _check_embedder(self, embedder: str | None, dim: int, metric: str, *, write: bool) -> None:
        have = self.embedder
        if have is None:
            if write:
                for k, v in (
                    ("embedder", embedder or "unnamed"),
                    ("dim", str(dim)),
                    ("metric", metric),
                ):
                    self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (k, v))
            return
        if (
            have["dim"] != dim
            or have["metric"] != metric
            or (embedder and embedder != have["name"])
        ):
            raise GalleryError(
                f"{self.path} holds {have['dim']}-d {have['metric']} embeddings of "
                f"{have['name']}; got {dim}-d {metric} vectors of "
                f"{embedder or 'an unnamed embedder'}. Use the same embedder, "
                "or another gallery file (--gallery PATH)"
            )

    # -- writes ----------------------------------------------------------------------------------
    def enroll(
        self,
        name: str,
        embeddings: np.ndarray,
        *,
        sources: Sequence[str] | None = None,
        embedder: str | None = None,
        metric: str = "euclidean",
        new: bool = False,
    ) -> Person:
        """Add face embeddings ``(N, D)`` to ``name`` (created if needed), atomically.

        Raises:
            GalleryError: ``new=True`` and the name exists; an empty or reserved name; vectors of
                another embedder than the gallery's.
        """
        name = str(name).strip()
        if not name:
            raise GalleryError("a person needs a non-empty name")
        if name.lower() == UNKNOWN:
            raise GalleryError(
                f"{name!r} is reserved for faces that match nobody; choose another name"
            )
        vecs = np.asarray(embeddings, np.float32)
        if vecs.ndim == 1:
            vecs = vecs[None]
        if vecs.ndim != 2 or not len(vecs):
            raise GalleryError(f"expected embeddings of shape (N, D) with N >= 1, got {vecs.shape}")
        if not np.isfinite(vecs).all():
            raise GalleryError("embeddings contain NaN or infinite values")
        if sources is not None and len(sources) != len(vecs):
            raise GalleryError(f"{len(sources)} sources for {len(vecs)} embeddings")
        now = time.time()
        with self.transaction():
            self._check_embedder(embedder, vecs.shape[1], metric, write=True)
            row = self._db.execute("SELECT id FROM people WHERE name = ?", (name,)).fetchone()
            if row is not None and new:
                raise GalleryError(
                    f"{name!r} is already enrolled; leave out --new to add these faces to that "
                    "person, "
                    "or choose another name"
                )
            if row is None:
                pid = self._db.execute(
                    "INSERT INTO people (name, created) VALUES (?, ?)", (name, now)
                ).lastrowid
            else:
                pid = row[0]
            self._db.executemany(
                "INSERT INTO faces (person_id, embedding, source, created) VALUES (?, ?, ?, ?)",
                [
                    (pid, v.tobytes(), None if sources is None else str(sources[i]), now)
                    for i, v in enumerate(vecs)
                ],
            )
            self._bump()
            n = self._db.execute(
                "SELECT COUNT(*) FROM faces WHERE person_id = ?", (pid,)
            ).fetchone()[0]
            created = self._db.execute(
                "SELECT created FROM people WHERE id = ?", (pid,)
            ).fetchone()[0]
        return Person(name, int(n), float(created))

    def remove(self, name: str) -> int:
        """Delete a person and their faces; returns how many faces were removed."""
        with self.transaction():
            row = self._db.execute("SELECT id FROM people WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise GalleryError(self._unknown_person(name))
            n = self._db.execute(
                "SELECT COUNT(*) FROM faces WHERE person_id = ?", (row[0],)
            ).fetchone()[0]
            self._db.execute("DELETE FROM faces WHERE person_id = ?", (row[0],))
            self._db.execute("DELETE FROM people WHERE id = ?", (row[0],))
            self._bump()
        return int(n)

    def _unknown_person(self, name: str) -> str:
        import difflib

        names = [p.name for p in self.people()]
        close = difflib.get_close_matches(name, names, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        return (
            f"no person named {name!r} in {self.path}.{hint} ('foveal faces list' shows everyone)"
        )

    # -- reads -----------------------------------------------------------------------------------
    def people(self) -> list[Person]:
        """Everyone enrolled, by name."""
        with self._lock:
            rows = self._db.execute(
                "SELECT p.name, COUNT(f.id), p.created FROM people p "
                "LEFT JOIN faces f ON f.person_id = p.id "
                "GROUP BY p.id ORDER BY p.name"
            ).fetchall()
        return [Person(r[0], int(r[1]), float(r[2])) for r in rows]

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM faces").fetchone()[0])

    def __contains__(self, name: object) -> bool:
        with self._lock:
            return (
                self._db.execute("SELECT 1 FROM people WHERE name = ?", (str(name),)).fetchone()
                is not None
            )

    def embeddings(self) -> tuple[np.ndarray, list[str]]:
        """All face vectors ``(N, D)`` and the name of each."""
        with self._lock:
            rows = self._db.execute(
                "SELECT f.embedding, p.name FROM faces f JOIN people p ON p.id = f.person_id "
                "ORDER BY f.id"
            ).fetchall()
        info = self.embedder
        dim = info["dim"] if info else 0
        if not rows:
            return np.zeros((0, dim), np.float32), []
        if info is None:
            raise GalleryError(
                f"{self.path} holds {len(rows)} face(s) but no embedder metadata; expected both. "
                "The gallery is damaged: enrol again into a new file (--gallery NEW.db)"
            )
        for blob, name in rows:
            if not isinstance(blob, bytes) or len(blob) != 4 * dim:
                size = f"{len(blob)}-byte" if isinstance(blob, bytes) else type(blob).__name__
                raise GalleryError(
                    f"{self.path}: a face of {name!r} has a {size} embedding; expected {dim} "
                    f"float32 values ({4 * dim} bytes). The gallery is damaged: remove that "
                    f"person ('foveal faces remove {name}') and enrol them again"
                )
        vecs = np.frombuffer(b"".join(r[0] for r in rows), np.float32).reshape(len(rows), dim)
        return vecs.copy(), [r[1] for r in rows]

    def _index(self) -> tuple[ExactIndex, list[str]]:
        with self._lock:
            rev = self._meta("revision") or "0"
            if self._cache is None or self._cache[0] != rev:
                vecs, names = self.embeddings()
                metric = (self.embedder or {}).get("metric", "euclidean")
                self._cache = (
                    rev,
                    build_index(vecs, metric=metric, backend=self.index_backend),
                    vecs,
                    names,
                )
            return self._cache[1], self._cache[3]

    def match(
        self,
        embeddings: np.ndarray,
        *,
        threshold: float,
        embedder: str | None = None,
        metric: str = "euclidean",
    ) -> tuple[list[str], np.ndarray]:
        """1:N identification: the nearest enrolled face's person for each query, or ``"unknown"``
        when its distance is not below ``threshold``. Returns names and the nearest distances
        (``inf`` for an empty gallery)."""
        q = np.asarray(embeddings, np.float32)
        if q.ndim == 1:
            q = q[None]
        if not len(q):
            return [], np.zeros(0, np.float32)
        if self.embedder is not None:
            self._check_embedder(embedder, q.shape[1], metric, write=False)
        index, names = self._index()
        if not len(index):
            return [UNKNOWN] * len(q), np.full(len(q), np.inf, np.float32)
        d, i = index.search(q, k=1)
        out = [
            names[int(j)] if float(dist) < threshold else UNKNOWN
            for dist, j in zip(d[:, 0], i[:, 0], strict=True)
        ]
        return out, d[:, 0].astype(np.float32)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Gallery:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check(self) -> None:
        """Raise :class:`GalleryError` unless SQLite's integrity check passes and every face has
        a person."""
        with self._lock:
            res = self._db.execute("PRAGMA integrity_check").fetchone()[0]
            orphans = self._db.execute(
                "SELECT COUNT(*) FROM faces WHERE person_id NOT IN (SELECT id FROM people)"
            ).fetchone()[0]
        if res != "ok" or orphans:
            raise GalleryError(
                f"{self.path} is damaged: integrity_check={res!r}, {orphans} orphan face(s)"
            )


def _accessible(path: Path) -> bool:
    """Whether this process may read and write the gallery file (or create it in its folder)."""
    if path.exists():
        return os.access(path, os.R_OK | os.W_OK)
    return os.access(path.parent, os.W_OK | os.X_OK)
