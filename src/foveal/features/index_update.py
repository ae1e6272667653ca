"""Writing to an image index: incremental updates from files, precomputed vectors, removals.

Every change runs in one SQLite transaction that also bumps the index's *generation*, so search
caches named after the generation are never mixed with a newer database.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import ConfigError, FovealError
from foveal.features.base import Extractor, fit_sample
from foveal.features.index_db import (
    IndexMismatchError,
    Known,
    abspath,
    find_changes,
    sha256_of,
    state_to_blob,
    transaction,
)
from foveal.io import BatchReport, expand_sources, item_count, iter_sources

Pending = tuple[str, int, int, str, bytes, float]
"""A row to write: path, size, mtime_ns, sha256, vector blob, time added."""


@dataclass
class UpdateStats:
    """What :meth:`IndexWriting.update` did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    touched: int = 0
    report: BatchReport = field(default_factory=BatchReport)

    def summary(self) -> str:
        """One line, e.g. ``3 added, 0 re-embedded, 1 removed, 5 unchanged, 0 skipped``."""
        return (
            f"{self.added} added, {self.updated} re-embedded, {self.removed} removed, "
            f"{self.unchanged + self.touched} unchanged, {len(self.report.bad)} skipped "
            "(unreadable)"
        )


class IndexWriting:
    """The writing half of :class:`foveal.features.index.ImageIndex` (its database and
    extractor)."""

    con: sqlite3.Connection
    extractor: Extractor

    def update(
        self,
        inputs: str | os.PathLike | Sequence[str | os.PathLike],
        *,
        batch_size: int = 16,
        commit_every: int = 256,
        prune: bool = True,
        progress: Callable[[Iterable[Any], int | None], Iterable[Any]] | None = None,
        every: int = 25,
        fps: float | None = None,
    ) -> UpdateStats:
        """Bring the index up to date with files, folders or globs: embed new and changed files,
        drop entries of files that are gone (inside the given folders, with ``prune``).

        Videos (in folders too) give every ``every``-th frame (with ``fps``, frames at about that
        rate), each its own entry named ``/abs/clip.mp4#N`` (frame N, from 0); PDFs give their
        pages (``scan.pdf#page=2``). A changed video, or one sampled otherwise before, is embedded
        again and its old frames are dropped. Unreadable files are skipped and listed in
        ``stats.report``; an entry whose file became unreadable is removed. Changes are committed
        every ``commit_every`` images or so, between files (a video's frames go in one commit),
        each commit consistent, so an interrupted build keeps the files it finished.
        """
        stats = UpdateStats()
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ConfigError(f"every must be a whole number of frames >= 1, got {every!r}")
        inputs = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
        files = [abspath(p) for p in expand_sources(inputs, media=True)]
        roots = [abspath(p) for p in inputs if Path(p).is_dir()]
        known: Known = {
            r[0]: (r[1], r[2], r[3], r[4])
            for r in self.con.execute("SELECT path, size, mtime_ns, sha256, id FROM items")
        }
        changes = find_changes(files, roots, known, prune, every, fps)
        for path, exc in changes.unreadable:
            stats.report.add_bad(path, exc)
        stats.unchanged = changes.unchanged
        todo = changes.todo
        if self.extractor.needs_fit and not self.extractor.fitted:
            self._fit_extractor([p for p, _, _ in todo], every, fps)
        with transaction(self.con):
            if changes.touch:
                self.con.executemany(
                    "UPDATE items SET size=?, mtime_ns=? WHERE id=?", changes.touch
                )
                stats.touched = len(changes.touch)
            if changes.gone:
                self.con.executemany(
                    "DELETE FROM items WHERE id=?", [(i,) for _, i in changes.gone]
                )
                stats.removed = len(changes.gone)
            if changes.touch or changes.gone:
                self._bump()
        info = {p: (s, m) for p, s, m in todo}
        items = iter_sources([p for p, _, _ in todo], every=every, report=stats.report, fps=fps)
        stream: Iterable[tuple[Any, np.ndarray]] = self.extractor.iter_extract(
            items, batch_size=batch_size, report=stats.report
        )
        if progress is not None:
            stream = progress(stream, item_count([p for p, _, _ in todo], every=every, fps=fps))
        pending: list[Pending] = []
        hashes: dict[str, str] = {}
        written: set[str] = set()
        last = None
        for item, vec in stream:
            path = os.fspath(item.path)  # the file; item.name is the entry (clip.mp4#12)
            if len(pending) >= commit_every and path != last:
                # commits fall between files: an interrupted build never keeps half a video
                self._write(pending, known, stats)
                pending = []
            last = path
            size, mtime = info[path]
            if path not in hashes:
                hashes[path] = sha256_of(path)
            blob = np.asarray(vec, np.float32).tobytes()
            pending.append((item.name, size, mtime, hashes[path], blob, time.time()))
            written.add(item.name)
        if pending:
            self._write(pending, known, stats)
        # entries whose file became unreadable, and frames (pages) a re-embedded file no longer has
        bad = [(known[b.source][3],) for b in stats.report.bad if b.source in known]
        bad += [
            (row,)
            for entries in changes.parts.values()
            for entry, row in entries.items()
            if entry not in written
        ]
        if bad:
            with transaction(self.con):
                self.con.executemany("DELETE FROM items WHERE id=?", bad)
                stats.removed += len(bad)
                self._bump()
        return stats

    def _write(self, rows: list[Pending], known: Known, stats: UpdateStats) -> None:
        with transaction(self.con):
            for row in rows:
                if row[0] in known:
                    self.con.execute(
                        "UPDATE items SET size=?, mtime_ns=?, sha256=?, vector=?, added=? "
                        "WHERE path=?",
                        (*row[1:], row[0]),
                    )
                    stats.updated += 1
                else:
                    self.con.execute(
                        "INSERT INTO items (path, size, mtime_ns, sha256, vector, added) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        row,
                    )
                    stats.added += 1
            self._bump()

    def add_vectors(self, paths: Sequence[str], vectors: np.ndarray) -> None:
        """Store precomputed vectors (``(N, dim)``, this index's extractor) under ``paths``
        as-is."""
        vectors = np.ascontiguousarray(vectors, np.float32)
        if vectors.ndim != 2 or vectors.shape != (len(paths), self.extractor.dim):
            raise IndexMismatchError(
                f"got vectors of shape {vectors.shape}; "
                f"expected ({len(paths)}, {self.extractor.dim})"
            )
        now = time.time()
        with transaction(self.con):
            self.con.executemany(
                "INSERT OR REPLACE INTO items (path, size, mtime_ns, sha256, vector, added) "
                "VALUES (?, 0, 0, '', ?, ?)",
                ((p, v.tobytes(), now) for p, v in zip(paths, vectors, strict=True)),
            )
            self._bump()

    def remove(self, paths: Sequence[str | os.PathLike]) -> int:
        """Forget these files; returns how many entries were removed."""
        with transaction(self.con):
            cur = self.con.executemany(
                "DELETE FROM items WHERE path=?", [(abspath(p),) for p in paths]
            )
            n = cur.rowcount
            if n:
                self._bump()
        return max(0, n)

    def _bump(self) -> None:
        self.con.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'"
        )

    def _fit_extractor(self, files: list[str], every: int, fps: float | None) -> None:
        sample = fit_sample(files, every, fps=fps)
        if not sample:
            raise FovealError(
                f"{self.extractor.name} must learn a vocabulary first, but no readable image "
                "was given"
            )
        self.extractor.fit(sample)
        with transaction(self.con):
            self.con.execute(
                "INSERT OR REPLACE INTO state VALUES ('extractor', ?)",
                (state_to_blob(self.extractor.get_state()),),
            )
