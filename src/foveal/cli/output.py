"""Shared helpers for commands: JSON lines, progress bars, bad-input reports."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO


def progress(iterable: Any, *, total: int | None, desc: str, enabled: bool = True) -> Any:
    """A tqdm progress bar on stderr (off when ``enabled`` is false or stderr is not a terminal)."""
    from tqdm import tqdm

    return tqdm(
        iterable, total=total, desc=desc, unit="img", file=sys.stderr, disable=not enabled or None
    )


def write_jsonl(record: dict[str, Any], out: TextIO | None = None) -> None:
    """One JSON object per line on ``out`` (default: the current ``sys.stdout``, looked up at call
    time)."""
    out = sys.stdout if out is None else out
    out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()


def report_bad(report: Any, *, as_json: bool) -> None:
    """Print the skipped inputs to stderr (one JSON line each with ``--json``)."""
    for bad in report.bad:
        if as_json:
            print(json.dumps({"skipped": bad.source, "error": bad.error}), file=sys.stderr)
        else:
            print(f"skipped {bad.source}: {bad.error}", file=sys.stderr)
