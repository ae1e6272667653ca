"""``foveal analyze`` as a function: inputs -> records.jsonl (+ CSV, annotated images, HTML, XMP).

>>> import json
>>> from foveal.analyze.run import AnalyzeConfig, run_analyze
>>> stats = run_analyze(
...     AnalyzeConfig(inputs=["cat.jpg", "coffee.png"], tasks="classify", out="out", progress=False)
... )
>>> stats["records"], stats["bad"]
(2, 0)
>>> [json.loads(line)["classify"]["top"][0]["name"] for line in open("out/records.jsonl")]
['Egyptian cat', 'espresso']

Output folder layout: ``records.jsonl`` (local engine) or ``records/*.jsonl`` (Ray engine),
``records.csv``, ``report.html``, ``annotated/``, ``tagged/`` (copies with XMP metadata).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from foveal.errors import ConfigError

OUTPUT_FILES = ("records.jsonl", "records.csv", "report.html")


@dataclass
class AnalyzeConfig:
    """Everything ``foveal analyze`` takes (see ``foveal analyze --help``)."""

    inputs: list[str]
    tasks: str = "classify"
    out: str = "analyze-out"
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    fps: float | None = 1.0
    batch_size: int = 8
    workers: int | None = None
    csv: bool = False
    html: bool = False
    html_rows: int = 1000
    annotate: bool = False
    write_metadata: bool = False
    in_place: bool = False
    resume: bool = False
    overwrite: bool = False
    progress: bool = True
    max_pixels: int | None = None
    engine: str = "local"
    address: str | None = None
    num_cpus: int | None = None
    track: bool = False

    def check(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(f"--batch-size must be at least 1, got {self.batch_size}")
        if self.workers is not None and self.workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {self.workers}")
        if self.fps is not None and self.fps <= 0:
            raise ConfigError(f"--fps must be positive, got {self.fps}")
        if self.in_place and not self.write_metadata:
            raise ConfigError("--in-place only makes sense with --write-metadata")
        if self.resume and self.overwrite:
            raise ConfigError("--resume and --overwrite contradict each other; pass one")
        if self.engine not in ("local", "ray"):
            raise ConfigError(f"--engine must be 'local' or 'ray', got {self.engine!r}")
        if self.track and self.engine != "local":
            raise ConfigError("--track needs the frames in order: use it with --engine local")


def safe_name(source: str, frame: int | None = None, suffix: str | None = None) -> str:
    """A flat, unique file name for a source path (and frame): ``photos/a.jpg`` ->
    ``photos__a.jpg``."""
    p = os.path.relpath(os.path.abspath(source))
    if p.startswith(".."):
        p = os.path.abspath(source).lstrip(os.sep)
    stem = re.sub(r"[^\w.\-]+", "_", p.replace(os.sep, "__"))
    stem = stem.lstrip(".") or "image"  # never a hidden file (".venv/x.png" -> "venv__x.png")
    if frame is not None:
        stem = f"{stem}__f{frame:07d}"
    return stem + (suffix or "")


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def check_out_folder(out: Path) -> None:
    """Make sure the output folder can be written, before any work starts: create it and write a
    temporary file in it.

    Raises:
        ConfigError: ``out`` is a file, is under a file, or cannot be created or written.
    """
    blocker = next((p for p in (out, *out.parents) if p.exists() and not p.is_dir()), None)
    if blocker == out:
        raise ConfigError(
            f"--out {out} is a file, not a folder; pass a folder (created if missing)"
        )
    if blocker is not None:
        raise ConfigError(
            f"--out {out} cannot be created: {blocker} is a file, not a folder; pass another folder"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".foveal-write-check-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError(
            f"--out {out} is not a folder foveal can write to ({exc.strerror or exc}); pass a "
            "folder you can write to"
        ) from None
    for name in OUTPUT_FILES:
        f = out / name
        if f.is_dir() or (f.exists() and not os.access(f, os.W_OK)):
            raise ConfigError(
                f"{f} exists and cannot be written ({'a folder' if f.is_dir() else 'read-only'}); "
                "remove it or pass another --out"
            )


def output_exclusions(out: Path, inputs: list[str]) -> list[Path]:
    """What a run must not read as input: the whole output folder, or only what foveal writes into
    it (``annotated/``, ``tagged/``, ``records/``, ``OUTPUT_FILES``) when an input folder (or the
    folder a glob pattern starts from) is in it or is it."""
    real = Path(os.path.realpath(out))
    generated = [out / name for name in ("annotated", "tagged", "records", *OUTPUT_FILES)]
    for text in inputs:
        parts = Path(text).parts
        plain = next((i for i, part in enumerate(parts) if any(c in part for c in "*?[")), None)
        folder = Path(os.path.realpath(Path(*parts[:plain]) if plain else text))
        if folder.is_dir() and (folder == real or real in folder.parents):
            return generated
    return [out]


def run_analyze(cfg: AnalyzeConfig) -> dict[str, Any]:
    """Run the analysis; returns counts and timings (also printed to stderr)."""
    from foveal.analyze.sources import expand_inputs
    from foveal.analyze.tasks import parse_tasks, resolve_tasks

    cfg.check()
    if cfg.track and "detect" not in parse_tasks(cfg.tasks):
        raise ConfigError("--track links the detect task's boxes: add detect to --tasks")
    out = Path(cfg.out)
    inputs = [os.fspath(i) for i in cfg.inputs]
    paths = expand_inputs(inputs, exclude=output_exclusions(out, inputs))
    check_out_folder(out)
    tasks, skipped = resolve_tasks(cfg.tasks, cfg.options)
    for name, reason in skipped.items():
        _log(f"foveal analyze: skipping task {name!r}: {reason}")
    _log(
        f"foveal analyze: tasks {', '.join(tasks)} on {len(paths)} input file(s), engine "
        f"{cfg.engine}"
    )
    t0 = time.perf_counter()
    if cfg.engine == "ray":
        from foveal.analyze.ray_engine import run_ray

        stats = run_ray(cfg, paths, tasks)
        record_files = stats.pop("files")
    else:
        stats = _run_local(cfg, paths, tasks, out)
        record_files = [out / "records.jsonl"]
    stats["inputs"] = len(paths)
    stats["tasks"] = tasks
    stats["skipped_tasks"] = skipped
    stats["seconds"] = round(time.perf_counter() - t0, 3)
    if cfg.html:
        from foveal.analyze.report import write_html

        stats["html"] = str(write_html(record_files, out / "report.html", max_rows=cfg.html_rows))
    rate = stats["records"] / stats["seconds"] if stats["seconds"] else 0.0
    _log(
        f"foveal analyze: {stats['records']} record(s) written ({stats.get('resumed', 0)} already "
        f"done), {stats['bad']} unreadable, {stats.get('untagged', 0)} without metadata, "
        f"{stats['seconds']:.1f} s ({rate:.1f} img/s) -> {out}"
    )
    return stats


def _run_local(cfg: AnalyzeConfig, paths: list[str], tasks: list[str], out: Path) -> dict[str, Any]:
    from foveal.analyze.draw import annotate
    from foveal.analyze.pipeline import analyze_items
    from foveal.analyze.records import CsvWriter, JsonlWriter
    from foveal.analyze.sources import estimate_count, iter_items
    from foveal.analyze.xmp import write_metadata
    from foveal.cli.output import progress
    from foveal.errors import FovealError
    from foveal.io import BatchReport, is_video_file

    writer = JsonlWriter(out / "records.jsonl", resume=cfg.resume, overwrite=cfg.overwrite)
    csv = CsvWriter(out / "records.csv", tasks, append=cfg.resume) if cfg.csv else None
    done = writer.done
    report = BatchReport()
    total = estimate_count(paths, cfg.fps)
    items = (it for it in iter_items(paths, cfg.fps) if not done.holds(it.source, it.part))
    stream = analyze_items(
        items,
        tasks,
        cfg.options,
        batch_size=cfg.batch_size,
        workers=cfg.workers,
        max_pixels=cfg.max_pixels,
        report=report,
    )
    n = 0
    tagged = 0
    untagged: list[tuple[str, str]] = []
    bar = progress(stream, total=max(0, total - len(done)), desc="analyze", enabled=cfg.progress)
    tracker = None
    if cfg.track:
        from foveal.analyze.tracking import RecordTracker

        tracker = RecordTracker()
    try:
        for item, image, rec in bar:
            if tracker is not None:
                tracker.add(rec)
            if image is not None and cfg.annotate:
                dest = out / "annotated" / safe_name(item.source, item.part, ".jpg")
                dest.parent.mkdir(parents=True, exist_ok=True)
                annotate(image, rec).save(dest, quality=90)
            tag = cfg.write_metadata and item.part is None and not is_video_file(item.source)
            if image is not None and tag:
                target = item.source if cfg.in_place else out / "tagged" / safe_name(item.source)
                try:
                    rec["metadata"] = str(write_metadata(item.source, rec, target))
                    tagged += 1
                except (FovealError, OSError) as exc:
                    rec["metadata_error"] = _metadata_error(exc, target)
                    untagged.append((item.source, rec["metadata_error"]))
            writer.write(rec)
            if csv is not None:
                csv.write(rec)
            n += 1
    finally:
        writer.close()
        if csv is not None:
            csv.close()
    for bad in report.bad:
        _log(f"foveal analyze: skipped {bad.describe()}")
    for source, error in untagged:
        _log(f"foveal analyze: metadata not written for {source}: {error}")
    return {
        "records": n,
        "ok": report.ok,
        "bad": len(report.bad),
        "resumed": len(done),
        "tagged": tagged,
        "untagged": len(untagged),
    }


def _metadata_error(exc: Exception, target: str | Path) -> str:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"could not write XMP metadata to {target}: {reason}"
