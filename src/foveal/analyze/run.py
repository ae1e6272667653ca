"""``foveal analyze`` as a function: inputs -> records.jsonl (+ CSV, annotated images, HTML, XMP).

>>> from foveal.analyze.run import AnalyzeConfig, run_analyze
>>> stats = run_analyze(  # doctest: +SKIP
...     AnalyzeConfig(inputs=["photos/"], tasks="classify", out="out")
... )
>>> stats["records"]  # doctest: +SKIP
120

Output folder layout: ``records.jsonl`` (local engine) or ``records/*.jsonl`` (Ray engine),
``records.csv``, ``report.html``, ``annotated/``, ``tagged/`` (copies with XMP metadata).
"""

from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from foveal.errors import ConfigError


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


def run_analyze(cfg: AnalyzeConfig) -> dict[str, Any]:
    """Run the analysis; returns counts and timings (also printed to stderr)."""
    from foveal.analyze.sources import expand_inputs
    from foveal.analyze.tasks import resolve_tasks

    cfg.check()
    paths = expand_inputs(cfg.inputs)
    tasks, skipped = resolve_tasks(cfg.tasks, cfg.options)
    for name, reason in skipped.items():
        _log(f"foveal analyze: skipping task {name!r}: {reason}")
    _log(
        f"foveal analyze: tasks {', '.join(tasks)} on {len(paths)} input file(s), engine "
        f"{cfg.engine}"
    )
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if cfg.engine == "ray":
        from foveal.analyze.ray_engine import run_ray

        stats = run_ray(cfg, paths, tasks)
        record_files = stats.pop("files")
    else:
        stats = _run_local(cfg, paths, tasks, out)
        record_files = [out / "records.jsonl"]
    stats["tasks"] = tasks
    stats["skipped_tasks"] = skipped
    stats["seconds"] = round(time.perf_counter() - t0, 3)
    if cfg.html:
        from foveal.analyze.report import write_html

        stats["html"] = str(write_html(record_files, out / "report.html", max_rows=cfg.html_rows))
    rate = stats["records"] / stats["seconds"] if stats["seconds"] else 0.0
    _log(
        f"foveal analyze: {stats['records']} record(s) written ({stats.get('resumed', 0)} already "
        f"done), {stats['bad']} unreadable, {stats['seconds']:.1f} s ({rate:.1f} img/s) -> {out}"
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
    items = (it for it in iter_items(paths, cfg.fps) if it.key not in done)
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
    bar = progress(stream, total=max(0, total - len(done)), desc="analyze", enabled=cfg.progress)
    try:
        for item, image, rec in bar:
            if image is not None and cfg.annotate:
                dest = out / "annotated" / safe_name(item.source, item.frame, ".jpg")
                dest.parent.mkdir(parents=True, exist_ok=True)
                annotate(image, rec).save(dest, quality=90)
            tag = cfg.write_metadata and item.frame is None and not is_video_file(item.source)
            if image is not None and tag:
                target = item.source if cfg.in_place else out / "tagged" / safe_name(item.source)
                try:
                    rec["metadata"] = str(write_metadata(item.source, rec, target))
                    tagged += 1
                except (FovealError, OSError) as exc:
                    rec["metadata_error"] = str(exc)
            writer.write(rec)
            if csv is not None:
                csv.write(rec)
            n += 1
    finally:
        writer.close()
        if csv is not None:
            csv.close()
    for bad in report.bad:
        _log(f"foveal analyze: skipped {bad.source}: {bad.error}")
    return {
        "records": n,
        "ok": report.ok,
        "bad": len(report.bad),
        "resumed": len(done),
        "tagged": tagged,
    }
