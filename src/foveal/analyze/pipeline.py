"""The streaming analysis pipeline: decode in threads, batch, run every task, one record per image.

>>> from foveal.analyze.pipeline import analyze_items
>>> from foveal.analyze.sources import iter_items
>>> for item, image, record in analyze_items(iter_items(["cat.jpg"]), ["classify"]):
...     print(record["source"], record["width"], record["height"])
...     print(record["classify"]["top"][0]["name"])
cat.jpg 451 300
Egyptian cat

A record is ``{"source", "path", "fingerprint", ["frame", "time"], "width", "height", TASK: result
dict ...}``, or ``{"source", "path", "fingerprint", ["frame"], "error"}`` for an input that could
not be read (corrupt, or an ``OSError`` such as a permission error: listed and skipped, never an
abort). A task that fails on one image records ``{TASK: {"error": ...}}`` and the others still run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from foveal.analyze.sources import Item, fingerprint, record_key
from foveal.analyze.tasks import TaskRunner, load_runners
from foveal.errors import FovealError, ImageError
from foveal.io import BatchReport, load_image
from foveal.tasks.batching import chunked, map_ordered

TaskOptions = dict[str, dict[str, Any]]


def base_record(item: Item) -> dict[str, Any]:
    """``{"source": as typed, "path": resolved, "fingerprint": "SIZE:MTIME_NS", ["frame",
    "time" | "page"]}``: what every record starts with (``path`` and ``fingerprint`` let a resumed
    run recognise it from any working directory, see
    :class:`foveal.analyze.records.ResumeIndex`)."""
    rec: dict[str, Any] = {"source": item.source, "path": record_key(item.source, None)[0]}
    fp = fingerprint(item.source)
    if fp is not None:
        rec["fingerprint"] = fp
    if item.frame is not None:
        rec["frame"] = item.frame
        rec["time"] = item.time
    if item.page is not None:
        rec["page"] = item.page
    return rec


def error_text(exc: BaseException, source: str) -> str:
    """One line for an input that failed: foveal's own message, or what the system said (a
    permission error, a folder named like an image, ...) with the file name."""
    if isinstance(exc, OSError) and not isinstance(exc, FovealError):
        return f"{source} could not be read: {exc.strerror or exc}"
    return str(exc)


def prepare_all(runners: list[TaskRunner], image: np.ndarray) -> dict[str, Any]:
    """Every task's prepared input for one image; a task that fails on it gets the exception."""
    out: dict[str, Any] = {}
    for r in runners:
        try:
            out[r.name] = r.prepare(image)
        except FovealError as exc:
            out[r.name] = exc
    return out


def analyze_images(
    images: list[np.ndarray],
    tasks: list[str] | list[TaskRunner],
    opts: TaskOptions | None = None,
    prepared: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Task results for a batch of RGB images: one ``{"width", "height", task: result dict}`` each.

    ``tasks`` are names (loaded with ``opts``) or runners from :func:`load_runners`; ``prepared``
    holds :func:`prepare_all` of each image when the decoding threads did it already.
    """
    runners = _runners(tasks, opts)
    out = [{"width": int(im.shape[1]), "height": int(im.shape[0])} for im in images]
    if not images:
        return out
    if prepared is None:
        prepared = [prepare_all(runners, im) for im in images]
    for r in runners:
        for rec, res in zip(out, r.run([p[r.name] for p in prepared]), strict=True):
            rec[r.name] = res
    return out


def _runners(tasks: list[str] | list[TaskRunner], opts: TaskOptions | None) -> list[TaskRunner]:
    if all(isinstance(t, TaskRunner) for t in tasks):
        return list(tasks)  # type: ignore[arg-type]
    return load_runners([str(t) for t in tasks], opts)


def analyze_items(
    items: Iterable[Item],
    tasks: list[str],
    opts: TaskOptions | None = None,
    *,
    batch_size: int = 8,
    workers: int | None = None,
    max_pixels: int | None = None,
    report: BatchReport | None = None,
) -> Iterator[tuple[Item, np.ndarray | None, dict[str, Any]]]:
    """Yield ``(item, image or None, record)`` in input order.

    Images are decoded and prepared for every task in ``workers`` threads, at most
    ``2 * batch_size`` ahead, so memory stays flat on any number of inputs; the network of each
    task runs on batches of ``batch_size``.
    """
    runners = load_runners(tasks, opts)

    def decode(item: Item) -> tuple[np.ndarray, dict[str, Any]]:
        if item.error is not None:
            raise ImageError(item.error, item.source)
        image = item.image
        if image is None:
            image = load_image(item.source, max_pixels=max_pixels)
        return image, prepare_all(runners, image)

    stream = map_ordered(decode, items, workers=workers, prefetch=max(2, 2 * batch_size))
    for chunk in chunked(stream, batch_size):
        good = [(it, res) for it, res in chunk if not isinstance(res, BaseException)]
        results = analyze_images([r[0] for _, r in good], runners, None, [r[1] for _, r in good])
        by_id = {id(it): (r[0], rec) for (it, r), rec in zip(good, results, strict=True)}
        for it, res in chunk:
            rec = base_record(it)
            if isinstance(res, BaseException):
                if not isinstance(res, (FovealError, OSError)):
                    raise res
                rec["error"] = error_text(res, it.source)
                if report is not None:
                    report.add_bad(it.label, rec["error"])
                yield it, None, rec
                continue
            image, task_rec = by_id[id(it)]
            rec.update(task_rec)
            if report is not None:
                report.ok += 1
            yield it, image, rec
