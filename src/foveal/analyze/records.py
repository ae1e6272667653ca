"""Record files: JSON lines written one flushed line at a time (so a run can resume), and CSV.

>>> for run in range(2):  # the second run finds cat.jpg done and skips it
...     with JsonlWriter("out/records.jsonl", resume=True) as w:
...         if record_key("cat.jpg", None) not in w.done: w.write({"source": "cat.jpg"})
>>> list(iter_records("out/records.jsonl"))
[{'source': 'cat.jpg'}]
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from foveal.analyze.sources import record_key
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


class JsonlWriter:
    """Append records to a JSON lines file; with ``resume``, ``done`` holds the keys already
    there."""

    def __init__(
        self, path: str | os.PathLike, *, resume: bool = False, overwrite: bool = False
    ) -> None:
        self.path = Path(path)
        self.done: set[tuple[str, int | None]] = set()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() and self.path.stat().st_size > 0:
            if resume:
                _repair_tail(self.path)
                self.done = {
                    record_key(r["source"], r.get("frame")) for r in iter_records(self.path)
                }
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
    """A flat row for CSV: source, frame, size, error, and one or two columns per task."""
    row: dict[str, Any] = {
        "source": record["source"],
        "frame": record.get("frame", ""),
        "time": record.get("time", ""),
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
        self._fh = open(self.path, "w" if new else "a", newline="", encoding="utf-8")  # noqa: SIM115
        self._w = csv.DictWriter(self._fh, fieldnames=fields)
        if new:
            self._w.writeheader()

    def write(self, record: dict[str, Any]) -> None:
        self._w.writerow(summary_row(record, self.tasks))
        self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()
