"""Record files: JSON lines written one flushed line at a time (so a run can resume), and CSV.

>>> for run in range(2):  # the second run finds cat.jpg done and skips it
...     with JsonlWriter("out/records.jsonl", resume=True) as w:
...         if not w.done.holds("cat.jpg", None): w.write({"source": "cat.jpg"})
>>> list(iter_records("out/records.jsonl"))
[{'source': 'cat.jpg'}]
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from foveal.analyze.sources import fingerprint, record_key
from foveal.errors import ConfigError


def iter_records(path: str | os.PathLike) -> Iterator[dict[str, Any]]:
    """The records of a JSON lines file (a final partial line, from an interrupted run, is
    ignored)."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                return
            line = line.strip()
            if line:
                yield json.loads(line)


def _repair_tail(path: Path) -> None:
    """Cut a partial last line (a run killed mid-write) so appending starts on a clean line."""
    with open(path, "rb+") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return
        pos = size
        while pos > 0:
            step = min(65536, pos)
            fh.seek(pos - step)
            block = fh.read(step)
            nl = block.rfind(b"\n")
            if nl >= 0:
                cut = pos - step + nl + 1
                if cut != size:
                    fh.truncate(cut)
                return
            pos -= step
        fh.truncate(0)


class ResumeIndex:
    """The inputs a records file holds already, so that a resumed run skips them.

    A record is recognised by the resolved path of its file (its ``path`` field, written by
    :func:`foveal.analyze.pipeline.base_record`) and frame, from any working directory; a file
    moved or renamed with its folder since (the recorded path is gone) by its name and
    :func:`~foveal.analyze.sources.fingerprint`. A record from an older version, which has only
    the path as typed, matches every input whose path ends with that path (without its leading
    ``./`` and ``../``).

    >>> index = ResumeIndex()
    >>> index.add({"source": "../photos/a.jpg"})
    >>> index.holds("/elsewhere/photos/a.jpg", None), index.holds("/elsewhere/b/a.jpg", None)
    (True, False)
    """

    def __init__(self) -> None:
        self.count = 0
        self.keys: set[tuple[str, int | None]] = set()
        self.moved: set[tuple[str, str, int | None]] = set()
        self.tails: set[tuple[tuple[str, ...], int | None]] = set()

    def add(self, record: dict[str, Any]) -> None:
        self.count += 1
        frame = record.get("frame", record.get("page"))  # a video's frame or a PDF's page
        path = record.get("path")
        source = str(record.get("source", ""))
        if path:
            self.keys.add((path, frame))
            if record.get("fingerprint") and not os.path.exists(path):
                self.moved.add((os.path.basename(path), record["fingerprint"], frame))
        elif os.path.isabs(source):
            self.keys.add(record_key(source, frame))
        else:
            parts = tuple(x for x in Path(source).parts if x not in (".", ".."))
            if parts:
                self.tails.add((parts, frame))

    def holds(self, source: str, frame: int | None) -> bool:
        """Whether the input ``source`` (as typed now) and ``frame`` has a record already."""
        key = record_key(source, frame)
        if key in self.keys:
            return True
        if self.moved:
            fp = fingerprint(source)
            if fp and (os.path.basename(key[0]), fp, frame) in self.moved:
                return True
        if self.tails:
            for full in {key[0], os.path.abspath(source)}:
                parts = Path(full).parts
                if any((parts[i:], frame) in self.tails for i in range(len(parts))):
                    return True
        return False

    def __len__(self) -> int:
        return self.count


def resume_index(files: Iterable[str | os.PathLike]) -> ResumeIndex:
    """The :class:`ResumeIndex` of the records in ``files``."""
    index = ResumeIndex()
    for f in files:
        for rec in iter_records(f):
            index.add(rec)
    return index


class JsonlWriter:
    """Append records to a JSON lines file; with ``resume``, ``done`` is the
    :class:`ResumeIndex` of the records already there."""

    def __init__(
        self, path: str | os.PathLike, *, resume: bool = False, overwrite: bool = False
    ) -> None:
        self.path = Path(path)
        self.done = ResumeIndex()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() and self.path.stat().st_size > 0:
            if resume:
                _repair_tail(self.path)
                self.done = resume_index([self.path])
            elif not overwrite:
                raise ConfigError(
                    f"{self.path} already exists; pass --resume to continue that run, or "
                    "--overwrite to start again"
                )
        self._fh = open(self.path, "a" if resume else "w", encoding="utf-8")  # noqa: SIM115

    def write(self, record: dict[str, Any]) -> None:
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def summary_row(record: dict[str, Any], tasks: list[str]) -> dict[str, Any]:
    """A flat row for CSV: source, frame (video), page (PDF), size, error, and one or two columns
    per task."""
    row: dict[str, Any] = {
        "source": record["source"],
        "frame": record.get("frame", ""),
        "time": record.get("time", ""),
        "page": record.get("page", ""),
        "width": record.get("width", ""),
        "height": record.get("height", ""),
        "error": record.get("error", ""),
    }
    for t in tasks:
        res = record.get(t) or {}
        err = res.get("error", "")
        if t == "classify":
            top = res.get("top") or [{}]
            row["classify_label"] = top[0].get("name", "")
            row["classify_score"] = top[0].get("score", "")
        elif t == "detect":
            dets = res.get("detections") or []
            row["detect_count"] = "" if err else len(dets)
            row["detect_labels"] = ";".join(sorted({d["name"] for d in dets}))
        elif t in ("faces", "identify"):
            faces = res.get("faces") or []
            row[f"{t}_count"] = "" if err else len(faces)
            if t == "identify":
                row["identify_names"] = ";".join(f.get("name", "") for f in faces)
        elif t == "ocr":
            row["ocr_text"] = res.get("text", "")
        elif t == "landmarks":
            for key in ("hands", "poses", "faces"):
                row[f"landmarks_{key}"] = "" if err else len(res.get(key) or [])
        elif t == "segment":  # each class's share of the image, e.g. "person 0.42;background 0.58"
            classes = res.get("classes") or []
            row["segment_fractions"] = ";".join(f"{c['name']} {c['fraction']:.4f}" for c in classes)
        elif t == "restore":  # mean absolute change, 0-255
            row["restore_change"] = res.get("change", "")
        if err:
            row["error"] = "; ".join(x for x in (row["error"], f"{t}: {err}") if x)
    return row


class CsvWriter:
    """Append summary rows to a CSV file (header written once)."""

    def __init__(self, path: str | os.PathLike, tasks: list[str], *, append: bool) -> None:
        self.path = Path(path)
        self.tasks = tasks
        fields = list(summary_row({"source": ""}, tasks))
        new = not (append and self.path.exists() and self.path.stat().st_size > 0)
        if append and not new:
            _repair_tail(self.path)
            with open(self.path, newline="", encoding="utf-8") as old:
                # a file of an older version keeps its columns
                fields = next(csv.reader(old), fields)
        self._fh = open(self.path, "w" if new else "a", newline="", encoding="utf-8")  # noqa: SIM115
        self._w = csv.DictWriter(self._fh, fieldnames=fields, extrasaction="ignore")
        if new:
            self._w.writeheader()

    def write(self, record: dict[str, Any]) -> None:
        self._w.writerow(summary_row(record, self.tasks))
        self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()
