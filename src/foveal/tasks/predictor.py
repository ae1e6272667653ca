"""The predictor contract every task implements once (the ultralytics ``BasePredictor`` idea).

A task supplies two hooks: :meth:`Predictor.prepare` (per image, run in decoding threads) and
:meth:`Predictor.run` (a batch of prepared images -> results). The base implements the rest for
every task: every source (array, path, bytes, PIL, list, folder, glob, video frames, PDF pages),
decoding threads, batching, skip-and-report, and options as call arguments validated by the task's
``Options`` dataclass. A predictor keeps no per-call state, so one instance serves many threads.

Single-network tasks derive from :class:`NetworkPredictor` and write ``preprocess`` /
``postprocess``; composite tasks (faces, OCR) derive from :class:`Predictor` and compose other
predictors.

>>> from foveal.tasks import TASKS
>>> clf = TASKS["classify"].load()
>>> clf("cat.jpg", top_k=1).names
['Egyptian cat']
>>> [r.names[0] for r in clf(["cat.jpg", "coffee.png"], top_k=1)]
['Egyptian cat', 'espresso']
"""

from __future__ import annotations

import dataclasses
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np

from foveal.errors import ConfigError, FovealError
from foveal.io import (
    BatchReport,
    ImageSource,
    Item,
    Sources,
    is_single_source,
    iter_sources,
    single_item,
)
from foveal.runtime import OpenedModel, open_model
from foveal.tasks.batching import chunked, map_ordered

R = TypeVar("R")


@dataclass(frozen=True)
class NoOptions:
    """A task without call options."""


class Predictor(ABC, Generic[R]):
    """Base of every task's predictor.

    Class attributes a task sets:
        task: the task name (a key of :data:`foveal.tasks.TASKS`).
        Options: a frozen dataclass of the call options with their defaults (thresholds, top-k ...).
        batch_size: default images per :meth:`run` call (1 for tasks that read one image at a time).
            2 by default: on a CPU, larger batches cost more per image (their activations
            leave the caches: MobileNetV2 7.4 ms per image at batch 8 vs 5.9 ms at batch 1), while
            the decoding threads already overlap the network (docs/speed.md).
    """

    task: ClassVar[str]
    Options: ClassVar[type] = NoOptions
    batch_size: ClassVar[int] = 2
    name: str = ""

    # -- the two hooks ---------------------------------------------------------------------------
    @abstractmethod
    def prepare(self, image: np.ndarray) -> Any:
        """Per-image work that needs no network (resize, normalise); runs in decoding threads."""

    @abstractmethod
    def run(self, prepared: list[Any], options: Any) -> list[R]:
        """Results for prepared images, in order. ``options`` is a validated ``Options``."""

    def check_options(self, options: Any) -> Any:
        """Validate (and normalise) the options of one call; raise :class:`ConfigError`.
        Tasks with constraints override it and return the (possibly replaced) options."""
        return options

    # -- implemented once ------------------------------------------------------------------------
    def options(self, **kwargs: Any) -> Any:
        """The ``Options`` of one call: unknown names and bad values are a :class:`ConfigError`.

        ``None`` keeps an option's default, so callers can pass what the user left unset.
        """
        fields = {f.name for f in dataclasses.fields(self.Options)}
        unknown = sorted(set(kwargs) - fields)
        if unknown:
            raise ConfigError(
                f"{self.task} has no option(s) {', '.join(unknown)}; "
                f"it takes {', '.join(sorted(fields)) or 'none'}"
            )
        return self.check_options(
            self.Options(**{k: v for k, v in kwargs.items() if v is not None})
        )

    def predict(self, image: ImageSource, **options: Any) -> R:
        """The result for one image (array, path, bytes or PIL image); from a path, its
        ``source`` is that path."""
        opts = self.options(**options)
        item = single_item(image)
        if item is None:
            raise ConfigError(
                f"predict() takes one image; got {type(image).__name__} {_short(image)}. "
                "Use predict_batch() or call the predictor for lists, folders, videos and PDFs"
            )
        return located(self.run([self.prepare(item.load())], opts)[0], item)

    def predict_batch(
        self,
        sources: Sources,
        *,
        batch_size: int | None = None,
        workers: int | None = None,
        report: BatchReport | None = None,
        every: int = 1,
        fps: float | None = None,
        **options: Any,
    ) -> Iterator[tuple[Item, R]]:
        """Stream ``(item, result)`` for every image in ``sources``, in input order.

        Images are decoded and prepared in ``workers`` threads while the network runs on batches
        of ``batch_size``; memory stays flat on any number of inputs. Unreadable inputs are
        skipped and added to ``report`` (or raise without one). Videos give every ``every``-th
        frame (with ``fps``, frames at about that rate). Results that have ``source`` / ``index``
        fields carry the file each image came from and its frame (from 0) or page (from 1) number
        (see :func:`located`).
        """
        opts = self.options(**options)
        size = int(batch_size or self.batch_size)
        if size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
        items = iter_sources(sources, every=every, report=report, fps=fps)
        prepared = map_ordered(
            lambda it: self.prepare(it.load()), items, workers=workers, size_of=_held_bytes
        )
        for chunk in chunked(_skip_bad(prepared, report), size):
            results = self.run([p for _, p in chunk], opts)
            for (item, _), result in zip(chunk, results, strict=True):
                yield item, located(result, item)

    def __call__(self, source: Sources, *, stream: bool = False, **options: Any) -> Any:
        """One image -> one result; a list, folder, glob, video or PDF -> a list of results
        (a generator with ``stream=True``), in input order. Bad inputs raise; use
        :meth:`predict_batch` with a report to skip them."""
        if is_single_source(source) and not stream:
            return self.predict(source, **options)
        results = (r for _, r in self.predict_batch(source, **options))
        return results if stream else list(results)


class NetworkPredictor(Predictor[R]):
    """A task that runs one network: ``preprocess`` -> network -> ``postprocess``.

    Args:
        model: a zoo name, a foveal ``.onnx`` file or a run folder (default: the task's).
        backend: ``"onnx"`` (ONNX Runtime, default) or ``"torch"`` (zoo models with a PyTorch
            implementation).
        weights: an explicit weights file for a zoo model.
        threads: CPU threads for inference.
    """

    default_model: ClassVar[str]
    model_tasks: ClassVar[frozenset[str]] = frozenset()
    """Metadata tasks this predictor accepts (default: ``{task}``)."""

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        *,
        backend: str = "onnx",
        weights: str | os.PathLike | None = None,
        threads: int | None = None,
    ) -> None:
        self.model: OpenedModel = open_model(
            model if model is not None else self.default_model,
            tasks=self.model_tasks or {self.task},
            backend=backend,
            weights=weights,
            threads=threads,
            export=self.export,
            build_torch=self.build_torch,
            onnx_file=self.onnx_file,
        )
        self.backend = backend
        self.meta = self.model.meta
        self.name = self.meta.name
        self.labels = self.meta.labels
        self.max_batch = self.model.runner.max_batch

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, backend={self.backend!r})"

    # -- hooks for opening zoo models (override where a task has them)
    export: ClassVar[Any] = None
    """``export(spec, out, weights_path)`` for zoo weights that are not ONNX (staticmethod)."""
    build_torch: ClassVar[Any] = None
    """``build_torch(spec, weights)`` -> the PyTorch module (staticmethod), for backend='torch'."""
    onnx_file: ClassVar[Any] = None
    """``onnx_file(spec, weights_path)`` -> a derived ONNX file (staticmethod), if needed."""

    # -- the task's steps
    @abstractmethod
    def preprocess(self, image: np.ndarray) -> tuple[np.ndarray, Any]:
        """RGB uint8 ``(H, W, 3)`` -> ``(input tensor (C, h, w), context for postprocess)``."""

    @abstractmethod
    def postprocess(self, outputs: list[np.ndarray], context: Any, options: Any) -> R:
        """One image's slice of every network output (batch axis removed) -> its result."""

    def forward(self, batch: np.ndarray) -> list[np.ndarray]:
        """Every network output for a ``(N, C, h, w)`` batch."""
        return self.model.runner.run(batch.astype(np.float32, copy=False))

    def prepare(self, image: np.ndarray) -> tuple[np.ndarray, Any]:
        return self.preprocess(image)

    precision: str = "fp32"
    """``"fp32"`` or ``"int8"`` (see :meth:`use_precision`)."""

    int8_recipe: ClassVar[Any] = None
    """The task's :class:`~foveal.runtime.quantize.Int8Recipe` (``None``: the default one)."""

    def use_precision(self, precision: str, calibrate: Any = None) -> None:
        """Run the network in ``precision``: for ``"int8"``, its static QDQ quantisation
        calibrated on ``calibrate`` (a folder of images, a list of files, ``None`` for the default
        set), made once with this task's own preprocessing and cached under ``$FOVEAL_HOME/int8``.
        A task that offers int8 calls this once, at the end of its constructor.

        Raises:
            ConfigError: an unknown precision, or int8 with ``backend="torch"``.
        """
        from foveal.runtime import OnnxModel
        from foveal.runtime.quantize import DEFAULT_RECIPE, cached_int8, check_precision

        check_precision(precision, calibrate)
        if precision == "fp32":
            return
        runner = self.model.runner
        if not isinstance(runner, OnnxModel) or self.model.path is None:
            raise ConfigError(
                f"precision={precision!r} runs with ONNX Runtime; use backend='onnx' (the default)"
            )
        recipe = self.int8_recipe or DEFAULT_RECIPE
        path = cached_int8(
            self.model.path,
            lambda image: self.preprocess(image)[0],
            calibrate,
            recipe=recipe,
            meta=self.model.meta,
        )
        quantised = OnnxModel(path, plan=runner.plan)
        self.model = dataclasses.replace(self.model, runner=quantised, path=path)
        self.precision = precision

    def run(self, prepared: list[tuple[np.ndarray, Any]], options: Any) -> list[R]:
        results: list[R] = []
        for group in _batches(prepared, self.max_batch):
            # one image: a view with a batch axis, not a 2 MB copy (np.stack always copies)
            batch = group[0][0][None] if len(group) == 1 else np.stack([t for t, _ in group])
            outputs = self.forward(batch)
            for i, (_, ctx) in enumerate(group):
                results.append(self.postprocess([o[i] for o in outputs], ctx, options))
        return results


def located(result: R, item: Item) -> R:
    """``result`` with the ``source`` (the file) and ``index`` (video frame from 0, PDF page from
    1) of ``item``, for result types that have those fields; others come back unchanged. Images
    given in memory (arrays, bytes, PIL images) have neither.

    >>> from pathlib import Path
    >>> from foveal.results import Classification
    >>> frame = Item(None, "clip.mp4#12", Path("clip.mp4"), 12)
    >>> r = located(Classification([0], [1.0], ["cat"]), frame)
    >>> r.source, r.index
    ('clip.mp4', 12)
    """
    if item.path is None and item.index is None:
        return result
    if not dataclasses.is_dataclass(result) or isinstance(result, type):
        return result
    names = {f.name for f in dataclasses.fields(result)}
    where: dict[str, Any] = {}
    if "source" in names and item.path is not None:
        where["source"] = os.fspath(item.path)
    if "index" in names and item.index is not None:
        where["index"] = item.index
    return dataclasses.replace(result, **where) if where else result


def _batches(prepared: list[Any], max_batch: int | None) -> Iterator[list[Any]]:
    """Consecutive runs of same-shaped tensors, at most ``max_batch`` long."""
    group: list[Any] = []
    for p in prepared:
        if group and (
            p[0].shape != group[0][0].shape or (max_batch is not None and len(group) >= max_batch)
        ):
            yield group
            group = []
        group.append(p)
    if group:
        yield group


def _skip_bad(
    items: Iterator[tuple[Item, Any]], report: BatchReport | None
) -> Iterator[tuple[Item, Any]]:
    for item, res in items:
        if isinstance(res, BaseException):
            if report is None or not isinstance(res, (FovealError, OSError)):
                raise res
            report.add_bad(item, res)
            continue
        if report is not None:
            report.ok += 1
        yield item, res


def _held_bytes(item: Item) -> int:
    """Memory an item holds before it is prepared (decoded video frames and PDF pages)."""
    return item.source.nbytes if isinstance(item.source, np.ndarray) else 0


def _short(obj: object) -> str:
    text = repr(obj)
    return text if len(text) <= 60 else text[:57] + "..."
