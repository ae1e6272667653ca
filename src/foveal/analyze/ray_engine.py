"""``foveal analyze --engine ray``: the same pipeline on Ray Data, over one machine or a cluster.

Paths (a folder, globs or a list) become a Ray dataset; video files are expanded into their sampled
frames; actors (one per CPU, each with its models loaded once) decode and analyse batches with the
very function the local engine uses (:func:`foveal.analyze.pipeline.analyze_images`); workers write
partitioned JSON lines, ``OUT/records/part-*.jsonl``. Records are identical to the local engine's
(their order across partitions is not; sort by ``source``/``frame`` to compare).

Local by default (a Ray instance started for the run with ``--num-cpus``); ``--address`` joins an
existing cluster, where every node needs foveal installed and the inputs and OUT on a shared file
system. ``FOVEAL_*`` environment variables are passed to the workers.

Starting Ray takes seconds, so the example is not run here::

    from foveal.analyze.run import AnalyzeConfig, run_analyze
    run_analyze(AnalyzeConfig(inputs=["photos/"], tasks="classify", out="out", engine="ray"))
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from foveal.errors import ConfigError

if TYPE_CHECKING:
    from foveal.analyze.records import ResumeIndex


class _Analyzer:
    """A Ray actor: decodes a batch of rows and runs the tasks (models load once per actor)."""

    def __init__(
        self, tasks: list[str], opts: dict[str, dict[str, Any]], max_pixels: int | None
    ) -> None:
        self.tasks, self.opts, self.max_pixels = tasks, opts, max_pixels

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from foveal.analyze.pipeline import analyze_images, base_record, error_text
        from foveal.analyze.sources import Item
        from foveal.errors import FovealError
        from foveal.io import load_image
        from foveal.tasks.batching import map_ordered

        rows = [{k: batch[k][i] for k in batch} for i in range(len(batch["source"]))]

        def decode(row: dict[str, Any]) -> np.ndarray:
            if row["error"]:
                raise FovealError(str(row["error"]))
            if row["frame"] >= 0 or row["page"] >= 0:  # decoded already
                return np.frombuffer(row["pixels"], np.uint8).reshape(
                    int(row["h"]), int(row["w"]), 3
                )
            return load_image(str(row["source"]), max_pixels=self.max_pixels)

        decoded = list(map_ordered(decode, rows))
        good = [img for _, img in decoded if not isinstance(img, BaseException)]
        results = iter(analyze_images(good, self.tasks, self.opts) if good else [])
        out = []
        for row, img in decoded:
            frame, page = int(row["frame"]), int(row["page"])
            item = Item(
                str(row["source"]),
                None if frame < 0 else frame,
                None if frame < 0 else float(row["time"]),
                page=None if page < 0 else page,
            )
            rec = base_record(item)
            if isinstance(img, BaseException):
                if not isinstance(img, (FovealError, OSError)):
                    raise img
                rec["error"] = error_text(img, item.source)
            else:
                rec.update(next(results))
            out.append(json.dumps(rec, ensure_ascii=False))
        return {"record": np.array(out, dtype=object)}


def _expand(fps: float | None, done: ResumeIndex) -> Any:
    def expand(row: dict[str, Any]) -> list[dict[str, Any]]:
        from foveal.analyze.sources import video_frames
        from foveal.errors import ImageError
        from foveal.io import is_pdf, is_video_file, render_pdf

        src = row["source"]
        blank = {
            "source": src,
            "frame": -1,
            "page": -1,
            "time": 0.0,
            "pixels": b"",
            "h": 0,
            "w": 0,
            "error": "",
        }
        out = []
        if is_pdf(src):  # one row per page, as the local engine reads it
            try:
                for page, rgb in render_pdf(src):
                    if not done.holds(src, page):
                        shape = {"h": rgb.shape[0], "w": rgb.shape[1]}
                        out.append({**blank, "page": page, "pixels": rgb.tobytes(), **shape})
            except ImageError as exc:
                out.append({**blank, "error": str(exc)})
            return out
        if not is_video_file(src):
            return [] if done.holds(src, None) else [blank]
        try:
            for index, t, rgb in video_frames(src, fps):
                if not done.holds(src, index):
                    out.append(
                        {
                            **blank,
                            "frame": index,
                            "time": t,
                            "pixels": rgb.tobytes(),
                            "h": rgb.shape[0],
                            "w": rgb.shape[1],
                        }
                    )
        except ImageError as exc:
            out.append({**blank, "error": str(exc)})
        return out

    return expand


def _datasink(path: str) -> Any:
    from ray.data.datasource import BlockBasedFileDatasink

    class JsonLinesDatasink(BlockBasedFileDatasink):
        """Each block's ``record`` column (JSON strings) as lines of one ``.jsonl`` file."""

        def __init__(self, folder: str) -> None:
            super().__init__(folder, file_format="jsonl")

        def write_block_to_file(self, block: Any, file: Any) -> None:
            column = block.to_arrow().column("record").to_pylist()
            file.write("".join(line + "\n" for line in column).encode("utf-8"))

    return JsonLinesDatasink(path)


def record_files(folder: str | os.PathLike) -> list[Path]:
    """The partition files of a Ray run, sorted."""
    return sorted(Path(folder).glob("*.jsonl"))


def run_ray(cfg: Any, paths: list[str], tasks: list[str]) -> dict[str, Any]:
    """Run on Ray; returns counts and the partition files (``files``)."""
    import ray
    from ray.data import ActorPoolStrategy

    from foveal.analyze.records import CsvWriter, ResumeIndex, iter_records, resume_index

    if cfg.annotate or cfg.write_metadata:
        raise ConfigError(
            "--annotate and --write-metadata run with the local engine only; drop --engine ray"
        )
    folder = (Path(cfg.out) / "records").resolve()
    existing = record_files(folder)
    done = ResumeIndex()
    if existing and cfg.resume:
        done = resume_index(existing)
    elif existing and cfg.overwrite:
        shutil.rmtree(folder)
    elif existing:
        raise ConfigError(
            f"{folder} already holds records; pass --resume to continue, or --overwrite"
        )
    folder.mkdir(parents=True, exist_ok=True)
    todo = [p for p in paths if not done.holds(p, None)]

    env = {k: v for k, v in os.environ.items() if k.startswith("FOVEAL_")}
    started_here = False
    if not ray.is_initialized():
        kw: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "runtime_env": {"env_vars": env},
        }
        if cfg.address:
            ray.init(address=cfg.address, **kw)
        else:
            env.setdefault(
                "FOVEAL_THREADS", "1"
            )  # one inference thread per actor, one actor per CPU
            ray.init(num_cpus=cfg.num_cpus or os.cpu_count(), **kw)
        started_here = True
    try:
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = bool(cfg.progress)
        before = {p.name for p in record_files(folder)}
        if todo:
            ds = ray.data.from_items(
                [{"source": os.path.abspath(p) if cfg.address else p} for p in todo],
                override_num_blocks=min(len(todo), 4 * cpus),
            )
            ds = ds.flat_map(_expand(cfg.fps, done))
            ds = ds.map_batches(
                _Analyzer,
                fn_constructor_args=(tasks, cfg.options, cfg.max_pixels),
                batch_size=cfg.batch_size,
                batch_format="numpy",
                compute=ActorPoolStrategy(min_size=1, max_size=cpus),
                num_cpus=1,
            )
            ds.write_datasink(_datasink(str(folder)))
    finally:
        if started_here:
            ray.shutdown()
    files = record_files(folder)
    new = [f for f in files if f.name not in before]
    n = bad = 0
    for f in new:
        for r in iter_records(f):
            n += 1
            bad += "error" in r
    if cfg.csv:
        csv = CsvWriter(Path(cfg.out) / "records.csv", tasks, append=False)
        try:
            for f in files:
                for r in iter_records(f):
                    csv.write(r)
        finally:
            csv.close()
    return {"records": n, "ok": n - bad, "bad": bad, "resumed": len(done), "files": files}
