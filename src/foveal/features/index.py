"""Image search: embeddings in an embedded SQLite database plus a vector index (numpy or FAISS).

>>> import os, shutil
>>> from foveal.features.index import ImageIndex
>>> os.makedirs("photos")
>>> for name in ["cat.jpg", "coffee.png", "astronaut.jpg"]:
...     _ = shutil.copy(name, "photos/")
>>> _ = shutil.copy("cat.jpg", "photos/cat_copy.jpg")
>>> index = ImageIndex.open("photos.index", extractor="mobilenet_v2.imagenet", create=True)
>>> stats = index.update(["photos/"])  # adds new, re-embeds changed, drops removed
>>> stats.added, stats.unchanged
(4, 0)
>>> hit = index.search("coffee.png", k=1)[0]    # paths are stored absolute
>>> os.path.basename(hit.path), round(hit.score, 2)
('coffee.png', 1.0)
>>> [[os.path.basename(h.path) for h in group] for group in index.dupes(threshold=0.8)]
[['cat.jpg', 'cat_copy.jpg']]
>>> index.update(["photos/"]).unchanged         # nothing changed: nothing is embedded again
4
>>> index.close()

Layout of an index folder::

    index.sqlite          the truth: extractor, its learned state, one row per file
                          (path, size, mtime_ns, sha256, vector float32 blob)
    vectors.<gen>.npy     a cache of all vectors for fast search (rebuilt when the generation
                          changes)
    ids.<gen>.npy         the row id of each cached vector
    faiss.<gen>.index     the FAISS index (only with the faiss backend)

Every change to the database runs in one SQLite transaction that also bumps the *generation*; the
cache files carry the generation in their names and are written to a temporary file and renamed,
so a reader never mixes an old cache with a new database, and a crash never leaves a half-written
file.

An index remembers its extractor (name, dim and parameters, plus learned state such as a SIFT
vocabulary): opening it with another extractor raises :class:`IndexMismatchError`.

Incremental updates detect changes by path, then size and mtime; a file whose size or mtime
changed is hashed (sha256), and only re-embedded when its content changed.

The parts: :mod:`foveal.features.index_db` (SQLite schema, transactions, change detection),
:mod:`foveal.features.index_update` (writing), :mod:`foveal.features.search` (top-k, FAISS,
near-duplicate groups).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import ConfigError, FovealError
from foveal.features.base import Extractor
from foveal.features.index_db import (
    DB_NAME,
    SCHEMA_VERSION,
    IndexMismatchError,
    abspath,
    connect,
    create_schema,
    ctor_kwargs,
    describe_extractor,
    entry_file,
    is_under,
    state_from_blob,
)
from foveal.features.index_update import IndexWriting, UpdateStats
from foveal.features.search import (
    BACKENDS,
    FAISS_MIN_ITEMS,
    Hit,
    build_faiss,
    exact_topk,
    resolve_backend,
    similar_groups,
)
from foveal.io import ImageSource
from foveal.utils.files import atomic_path

DUPES_THRESHOLDS = {"learned": 0.80}
"""Calibrated cosine-similarity thresholds for ``dupes`` (see docs/features.md).

For the pooled MobileNetV2 features, on 23 scikit-image sample photos and copies of each (10% crop
on every side, half size, JPEG quality 40, brightness/contrast/saturation jitter): copies scored
>= 0.83 against their original (one exception: a JPEG q40 copy of a low-contrast grey retina scan,
0.69), distinct photos <= 0.64. 0.80 sits between. Hand-crafted descriptors have no threshold that
separates the two (HOG: copies down to 0.71, distinct photos up to 0.95), so they need an explicit
one.
"""


def save_npy(path: Path, arr: np.ndarray) -> None:
    """``np.save`` to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, arr)


class ImageIndex(IndexWriting):
    """A folder holding image embeddings and their vector index. Use :meth:`open`."""

    def __init__(self, root: Path, con: sqlite3.Connection, extractor: Extractor) -> None:
        self.root = root
        self.con = con
        self.extractor = extractor
        self._cache: tuple[int, np.ndarray, np.ndarray] | None = None
        self._faiss: tuple[int, Any] | None = None

    # -- opening --------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        root: str | os.PathLike,
        *,
        extractor: str | Extractor | None = None,
        create: bool = False,
    ) -> ImageIndex:
        """Open the index in folder ``root`` (create it with ``create=True``).

        Args:
            extractor: a name or an :class:`Extractor`. For an existing index, ``None`` means "the
                one it was built with", anything else must match it. Needed to create an index.

        Raises:
            FovealError: the folder holds no index (and ``create`` is false).
            IndexMismatchError: the index was built with a different extractor.
        """
        from foveal.features import get_extractor

        root = Path(root)
        db = root / DB_NAME
        if not db.is_file():
            if not create:
                raise FovealError(
                    f"{root} is not a foveal image index (no {DB_NAME}); build one with "
                    f"'foveal index build DIR --index {root}'"
                )
            if extractor is None:
                raise ConfigError(
                    "creating an index needs an extractor, e.g. 'mobilenet_v2.imagenet'"
                )
            ex = get_extractor(extractor) if isinstance(extractor, str) else extractor
            root.mkdir(parents=True, exist_ok=True)
            con = connect(db)
            create_schema(con, ex.describe())
            return cls._finish_open(root, con, ex, given=True)
        con = connect(db)
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("schema") != SCHEMA_VERSION:
            raise FovealError(
                f"{db} has index schema {meta.get('schema')!r}; this foveal reads "
                f"{SCHEMA_VERSION!r}"
            )
        stored = json.loads(meta["extractor"])
        if extractor is None:
            ex = get_extractor(stored["name"], **ctor_kwargs(stored))
            given = False
        else:
            ex = get_extractor(extractor) if isinstance(extractor, str) else extractor
            given = True
        return cls._finish_open(root, con, ex, given=given)

    @classmethod
    def _finish_open(
        cls, root: Path, con: sqlite3.Connection, ex: Extractor, *, given: bool
    ) -> ImageIndex:
        stored = json.loads(
            con.execute("SELECT value FROM meta WHERE key='extractor'").fetchone()[0]
        )
        mine = json.loads(json.dumps(ex.describe(), sort_keys=True))
        if mine != stored:
            con.close()
            raise IndexMismatchError(
                f"the index {root} was built with extractor {describe_extractor(stored)}, but this "
                f"request uses {describe_extractor(mine)}; their vectors are not comparable. "
                "Query with "
                f"--extractor {stored['name']} (or leave --extractor out), or build a separate "
                "index "
                "for the other extractor with --index OTHER_FOLDER"
            )
        row = con.execute("SELECT data FROM state WHERE name='extractor'").fetchone()
        if row is not None and not (given and ex.needs_fit and ex.fitted):
            ex.set_state(state_from_blob(row[0]))
        elif row is not None and given and ex.needs_fit and ex.fitted:
            if not all(
                np.array_equal(v, state_from_blob(row[0])[k]) for k, v in ex.get_state().items()
            ):
                con.close()
                raise IndexMismatchError(
                    f"the index {root} stores a learned state (vocabulary) for {ex.name} "
                    "different from "
                    "the one given; leave the extractor out to use the index's own"
                )
        return cls(root, con, ex)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> ImageIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------------------------
    @property
    def generation(self) -> int:
        return int(self.con.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])

    def __len__(self) -> int:
        return int(self.con.execute("SELECT COUNT(*) FROM items").fetchone()[0])

    def paths(self) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT path FROM items ORDER BY id")]

    def info(self) -> dict[str, Any]:
        return {
            "index": str(self.root),
            "extractor": self.extractor.describe(),
            "items": len(self),
            "generation": self.generation,
        }

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, vectors)`` of every item, from the cache files (rebuilt from the database if
        stale)."""
        gen = self.generation
        if self._cache is not None and self._cache[0] == gen:
            return self._cache[1], self._cache[2]
        vpath, ipath = self.root / f"vectors.{gen}.npy", self.root / f"ids.{gen}.npy"
        if vpath.is_file() and ipath.is_file():
            ids, vecs = np.load(ipath), np.load(vpath, mmap_mode="r")
        else:
            ids, vecs = self._read_all()
            save_npy(ipath, ids)
            save_npy(vpath, vecs)
            self._drop_stale_files(gen)
        if len(ids) != len(vecs):
            raise FovealError(
                f"the cache in {self.root} is inconsistent; delete its *.npy files to rebuild it"
            )
        self._cache = (gen, ids, vecs)
        return ids, vecs

    def _read_all(self) -> tuple[np.ndarray, np.ndarray]:
        dim = self.extractor.dim
        rows = self.con.execute("SELECT id, vector FROM items ORDER BY id").fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vecs = np.empty((len(rows), dim), np.float32)
        for i, (_, blob) in enumerate(rows):
            vecs[i] = np.frombuffer(blob, dtype=np.float32)
        return ids, vecs

    def _drop_stale_files(self, gen: int) -> None:
        for pattern in ("vectors.*.npy", "ids.*.npy", "faiss.*.index"):
            for f in self.root.glob(pattern):
                if f.name.split(".")[1] != str(gen):
                    f.unlink(missing_ok=True)

    def _paths_of(self, ids: Sequence[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        ids = [int(i) for i in ids]
        for start in range(0, len(ids), 900):
            part = ids[start : start + 900]
            marks = ",".join("?" * len(part))
            out.update(
                self.con.execute(
                    f"SELECT id, path FROM items WHERE id IN ({marks})", part
                ).fetchall()
            )
        return out

    # -- searching ----------------------------------------------------------------------------
    def embed(self, image: ImageSource) -> np.ndarray:
        """The query vector of one image, with this index's extractor."""
        return self.extractor.extract([image])[0]

    def search(
        self,
        query: ImageSource | np.ndarray,
        *,
        k: int = 10,
        backend: str = "auto",
        nprobe: int = 16,
    ) -> list[Hit]:
        """The ``k`` most similar indexed images (cosine similarity), best first.

        Args:
            query: an image (path, bytes, array, PIL) or a vector of the index's dimension
                (a 1-D float array of length ``dim``).
            backend: ``exact`` (numpy, every vector), ``faiss`` (an IVF index over large
                collections, approximate; flat below 20,000 items), or ``auto`` (faiss from 20,000
                items when installed).
        """
        if k < 1:
            raise ConfigError(f"k must be at least 1, got {k}")
        vec = self._query_vector(query)
        scores, ids = self.search_vectors(vec[None], k=k, backend=backend, nprobe=nprobe)
        names = self._paths_of(ids[0][ids[0] >= 0])
        return [
            Hit(names[int(i)], float(s)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0
        ]

    def _query_vector(self, query: ImageSource | np.ndarray) -> np.ndarray:
        dim = self.extractor.dim
        if isinstance(query, np.ndarray) and query.ndim == 1:
            if query.shape[0] != dim:
                raise IndexMismatchError(
                    f"a query vector of length {query.shape[0]} cannot search an index of {dim}-d "
                    f"{self.extractor.name} vectors"
                )
            return query.astype(np.float32, copy=False)
        return self.embed(query)

    def search_vectors(
        self, queries: np.ndarray, *, k: int = 10, backend: str = "auto", nprobe: int = 16
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, ids)`` each ``(Q, k)`` for query vectors ``(Q, dim)``; ids -1 pad short
        results."""
        ids, vecs = self.vectors()
        queries = np.ascontiguousarray(queries, np.float32)
        k_eff = min(k, len(ids))
        if k_eff == 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        if resolve_backend(backend, len(ids)) == "exact":
            return exact_topk(vecs, ids, queries, k_eff)
        index = self.faiss_index()
        if hasattr(index, "nprobe"):
            index.nprobe = int(nprobe)
        scores, pos = index.search(queries, k_eff)
        return scores, np.where(pos >= 0, ids[np.maximum(pos, 0)], -1)

    def faiss_index(self) -> Any:
        """The FAISS index of the current generation (built and saved on first use)."""
        import faiss

        gen = self.generation
        if self._faiss is not None and self._faiss[0] == gen:
            return self._faiss[1]
        path = self.root / f"faiss.{gen}.index"
        if path.is_file():
            index = faiss.read_index(str(path))
        else:
            _, vecs = self.vectors()
            index = build_faiss(np.ascontiguousarray(vecs, np.float32))
            with atomic_path(path) as tmp:
                faiss.write_index(index, str(tmp))
        self._faiss = (gen, index)
        return index

    def dupes(
        self, *, threshold: float | None = None, under: Sequence[str | os.PathLike] | None = None
    ) -> list[list[Hit]]:
        """Groups of near-duplicate images: pairs with cosine similarity >= ``threshold``, joined
        transitively. Each group is sorted by path; scores are similarities to the group's first
        file.

        Args:
            threshold: default: the calibrated value for learned extractors (``DUPES_THRESHOLDS``).
            under: only consider files inside these folders / these files.
        """
        if threshold is None:
            threshold = DUPES_THRESHOLDS.get(self.extractor.kind)
            if threshold is None:
                raise ConfigError(
                    f"no calibrated near-duplicate threshold for the {self.extractor.name} "
                    "extractor; "
                    "pass one (--threshold 0.95), or use a learned extractor (default 0.80)"
                )
        if not 0.0 < threshold <= 1.0:
            raise ConfigError(f"threshold must be in (0, 1], got {threshold}")
        ids, vecs = self.vectors()
        names = self._paths_of(ids)
        keep = np.arange(len(ids))
        if under is not None:
            roots = [abspath(u) for u in under]
            keep = np.array(
                [i for i, x in enumerate(ids) if is_under(entry_file(names[int(x)]), roots)],
                np.int64,
            )
        sub = (
            np.asarray(vecs[keep], np.float32)
            if len(keep)
            else np.zeros((0, self.extractor.dim), np.float32)
        )
        out = []
        for members in similar_groups(sub, threshold):
            members.sort(key=lambda m: names[int(ids[keep[m]])])
            first = sub[members[0]]
            out.append([Hit(names[int(ids[keep[m]])], float(sub[m] @ first)) for m in members])
        out.sort(key=lambda g: g[0].path)
        return out


__all__ = [
    "BACKENDS",
    "DB_NAME",
    "DUPES_THRESHOLDS",
    "FAISS_MIN_ITEMS",
    "Hit",
    "ImageIndex",
    "IndexMismatchError",
    "UpdateStats",
    "build_faiss",
    "exact_topk",
]
