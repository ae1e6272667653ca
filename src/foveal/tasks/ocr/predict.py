"""The OCR task: detect -> orient the page -> crop -> direction check -> recognise -> layout.

:class:`TextReader` is the ``ocr`` predictor of :data:`foveal.tasks.TASKS`: a composite of three
networks (DB detector, 0/180 direction classifier, CTC recognizer), each opened through
:func:`foveal.runtime.open_model`. It keeps no per-call state: what it finds out about a page
besides the text (rotation, regions, timings) comes back from :meth:`TextReader.read_page`.

>>> from foveal.tasks.ocr import TextReader
>>> reader = TextReader()
>>> print(reader("page.png").text)
foveal reads text offline
Invoice 2026-041: 3 boxes of apples
Total due: 128.50 EUR
>>> from foveal.io import load_image
>>> turned = np.rot90(load_image("page.png"))              # the page lying on its side
>>> lines, page = reader.read_page(turned)
>>> page.rotation, lines.text.splitlines()[0]
(1, 'foveal reads text offline')
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from foveal.errors import ConfigError
from foveal.io import ImageSource, load_image
from foveal.results import TextLines
from foveal.runtime.quantize import Calibration, cached_int8, check_precision
from foveal.tasks.ocr.blocks import LayoutFinder, assign_blocks, block_lines, order_blocks
from foveal.tasks.ocr.cls import DEFAULT_CLS, DirectionClassifier
from foveal.tasks.ocr.det import DEFAULT_DET, TextDetector
from foveal.tasks.ocr.geometry import (
    crop_quad,
    min_area_quad,
    order_clockwise,
    quad_size,
    rotate_image,
    rotate_points,
    unrotate_points,
)
from foveal.tasks.ocr.int8 import (
    MAX_CALIBRATION_LINES,
    MAX_DETECTOR_PAGES,
    default_calibration,
    detector_inputs,
    with_runner,
)
from foveal.tasks.ocr.layout import (
    geometry_lines,
    level_boxes,
    paragraphs,
    skew_angle,
    union_box,
)
from foveal.tasks.ocr.rec import DEFAULT_REC, TextRecognizer
from foveal.tasks.predictor import Predictor

LAYOUTS = ("auto", "columns", "rows", "none")
"""The reading orders :class:`TextReader` knows (``layout`` call option)."""


@dataclass(frozen=True)
class ReadOptions:
    """The call options of :class:`TextReader`.

    Attributes:
        text_score: lines recognised with a lower confidence (0..1) are dropped.
        orient: detect 90/180/270 degree page rotations and read the page upright.
        flip_margin: a page (or a single line) is read upside down only when that reading's mean
            recognition confidence beats the upright one by more than this.
        line_flip_score: on an upright page, a single line is tried upside down only when the
            direction classifier gives it at least this probability (and its flipped copy under
            0.5).
        layout: reading order. ``"columns"``: columns found from the lines' geometry, read one
            after the other; ``"rows"``: lines that share a row are joined left to right (forms,
            receipts, tables), rows top to bottom; ``"auto"`` (default): columns where both sides
            of a gutter hold real lines of text (see ``min_column``), rows inside each column;
            ``"none"``: lines top to bottom, left to right.
        min_column: in ``"auto"`` layout, a gutter splits columns only when the lines on both
            sides are, by median, at least this many line heights long.
    """

    text_score: float = 0.5
    orient: bool = True
    flip_margin: float = 0.1
    line_flip_score: float = 0.95
    layout: str = "auto"
    min_column: float = 8.0


@dataclass(frozen=True)
class PageInfo:
    """What the pipeline found out about a page besides its text."""

    rotation: int = 0
    """Quarter turns clockwise that made the page upright (0, 90, 180 or 270 degrees / 90)."""
    segments: int = 0
    """Text regions the detector found (before dropping empty or low-confidence ones)."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per stage: detect, crop, classify, recognize, layout."""


class TextReader(Predictor[TextLines]):
    """Read text from images: PP-OCRv6 detection + recognition, foveal's own pre/post-processing.

    Args:
        model: the CTC recognizer: a zoo name (default ``ppocr_rec.v6_small``), a foveal ``.onnx``
            file or a ``foveal train ocr`` run folder.
        det: the DB text detector (zoo name, ``.onnx`` file or run folder).
        cls: the 0/180 direction classifier; ``None`` turns the direction check off (pages are
            then assumed upright or sideways only).
        det_max_side: pages are detected on a copy at most this many pixels on the long side.
        blocks: a layout model (zoo name or ``.onnx``, e.g. ``ppocr_layout.cdla``) to find the
            page's layout blocks (text, title, figure, table, header, footer ...) and tell each
            line its block; ``True`` (or ``"true"``, as ``--option ocr.blocks=true`` gives
            it): the default layout model; ``None``/``False`` (default): no blocks.
        threads: ONNX Runtime threads (default: all CPUs this process may use).
        precision: ``"fp32"`` or ``"int8"``: the detector and the recognizer run their static
            QDQ quantisation (:mod:`foveal.tasks.ocr.int8`), made once and cached under
            ``$FOVEAL_HOME/int8``; the direction classifier and layout model stay fp32.
        calibrate: the pages int8 calibrates on (a folder of images or a list of files):
            the detector on the pages, the recognizer on the lines the fp32 detector finds there.
            ``None``: scikit-image's ``page.png`` and ``text.png``.

    int8 reads like fp32 on the shared test pages, 1.2-1.5x faster end to end (docs/speed.md)::

        reader = TextReader(precision="int8", calibrate="scans/")

    Call options (:class:`ReadOptions`): ``text_score`` (default 0.5), ``orient`` (default on).
    """

    task = "ocr"
    Options = ReadOptions
    batch_size = 1
    default_model = DEFAULT_REC

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        *,
        det: str | os.PathLike = DEFAULT_DET,
        cls: str | os.PathLike | None = DEFAULT_CLS,
        blocks: str | os.PathLike | bool | None = None,
        det_max_side: int = 2000,
        threads: int | None = None,
        precision: str = "fp32",
        calibrate: Calibration = None,
    ) -> None:
        self.precision = check_precision(precision, calibrate)
        self.detector = TextDetector(det, max_side=det_max_side, threads=threads)
        self.recognizer = TextRecognizer(model or DEFAULT_REC, threads=threads)
        self.classifier = DirectionClassifier(cls, threads=threads) if cls is not None else None
        blocks = layout_model(blocks)
        self.blocks = LayoutFinder(blocks, threads=threads) if blocks is not None else None
        self.name = f"{self.detector.name}+{self.recognizer.name}"
        if precision == "int8":
            self.use_int8(calibrate)

    def use_int8(self, calibrate: Calibration = None) -> None:
        """Run the detector and the recognizer in int8, calibrated on ``calibrate`` (see the
        class); called by the constructor for ``precision="int8"``."""
        from foveal.runtime import OnnxModel

        for part in (self.detector, self.recognizer):
            if not isinstance(part.model.runner, OnnxModel) or part.model.path is None:
                raise ConfigError(
                    f"precision='int8' needs ONNX models; {part.name} does not run with ONNX "
                    "Runtime (export it with 'foveal export')"
                )
        files = default_calibration() if calibrate is None else calibrate
        detector, recognizer = self.detector, self.recognizer
        taken = {"lines": 0, "pages": 0}  # this calibration's own budget

        def lines(rgb: np.ndarray) -> list[np.ndarray]:
            room = MAX_CALIBRATION_LINES - taken["lines"]
            if room <= 0:
                return []
            bgr = np.ascontiguousarray(rgb[..., ::-1])
            quads, _ = detector(bgr)  # still fp32: the recognizer is quantised first
            found = recognizer.line_tensors([_crop(bgr, q) for q in quads[:room]])
            taken["lines"] += len(found)
            return found

        def pages(rgb: np.ndarray) -> list[np.ndarray]:
            taken["pages"] += 1
            return detector_inputs(detector, rgb) if taken["pages"] <= MAX_DETECTOR_PAGES else []

        rec_file = cached_int8(recognizer.model.path, lines, files, varying_shapes=True)
        det_file = cached_int8(detector.model.path, pages, files, varying_shapes=True)
        self.recognizer.model = with_runner(recognizer.model, rec_file)
        self.detector.model = with_runner(detector.model, det_file)

    def __repr__(self) -> str:
        return f"TextReader(det={self.detector.name!r}, rec={self.recognizer.name!r})"

    def check_options(self, options: ReadOptions) -> ReadOptions:
        if not 0.0 <= options.text_score <= 1.0:
            raise ConfigError(f"text_score must be between 0 and 1, got {options.text_score}")
        if options.layout not in LAYOUTS:
            raise ConfigError(f"layout must be one of {', '.join(LAYOUTS)}, got {options.layout!r}")
        if options.min_column < 0:
            raise ConfigError(f"min_column must be >= 0 line heights, got {options.min_column}")
        for name in ("flip_margin", "line_flip_score"):
            value = getattr(options, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} must be between 0 and 1, got {value}")
        return options

    def prepare(self, image: np.ndarray) -> np.ndarray:
        return image

    def run(self, prepared: list[np.ndarray], options: ReadOptions) -> list[TextLines]:
        return [self._read(rgb, options)[0] for rgb in prepared]

    def read_page(self, image: ImageSource, **options: Any) -> tuple[TextLines, PageInfo]:
        """Read one image: ``(lines in reading order, what was found out about the page)``."""
        opts = self.options(**options)
        return self._read(load_image(image), opts)

    def _read(self, rgb: np.ndarray, opts: ReadOptions) -> tuple[TextLines, PageInfo]:
        """Read an RGB uint8 (H, W, 3) array."""
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        bgr = np.ascontiguousarray(rgb[..., ::-1])
        shape = bgr.shape[:2]
        quads, _ = self.detector(bgr)
        t1 = time.perf_counter()
        timings["detect"] = t1 - t0
        if not len(quads):
            empty = self._layout(quads, [], np.zeros(0, np.float32), 0, shape, opts, bgr)
            return empty, PageInfo(segments=0, timings=timings)

        # Sideways page? Most elongated regions are taller than wide: turn the page a quarter,
        # and detect again on the upright page (the detector reads vertical lines poorly: it
        # merges or drops some, measured on scikit-image's page.png turned either way).
        k = 1 if opts.orient and _is_sideways(quads) else 0
        page = rotate_image(bgr, k) if k else bgr
        if k:
            quads, _ = self.detector(page)
            timings["detect"] = time.perf_counter() - t0
        crops = [_crop(page, q) for q in quads]
        t2 = time.perf_counter()
        timings["crop"] = t2 - t1

        # Upside down? Decided once for the page by a vote over many lines; a single line is
        # flipped only when the classifier is sure and reading it flipped is clearly better.
        doubt: list[int] = []
        known: dict[int, tuple[str, float]] = {}
        known_flipped: dict[int, tuple[str, float]] = {}
        if self.classifier is not None:
            p180 = self.classifier(crops)
            if opts.orient and _flip_vote(crops, p180) > 0.5:
                # The classifier is easily fooled by blurred or photographed pages: confirm by
                # reading the longest lines both ways.
                sample = _longest(crops, 12)
                both = self.recognizer(
                    [crops[i] for i in sample] + [_flip(crops[i]) for i in sample]
                )
                as_is, turned = both[: len(sample)], both[len(sample) :]
                up = float(np.mean([s for _, s in as_is]))
                down = float(np.mean([s for _, s in turned]))
                flip_page = down > up + opts.flip_margin
                if flip_page:
                    as_is, turned = turned, as_is
                known = dict(zip(sample, as_is, strict=True))  # readings reused below
                known_flipped = dict(zip(sample, turned, strict=True))
                if flip_page:
                    k += 2
                    page = rotate_image(page, 2)
                    quads = _reorder(rotate_points(quads, 2, page.shape[:2]))
                    crops = [_flip(c) for c in crops]
                    p180 = 1.0 - p180
            t3 = time.perf_counter()
            timings["classify"] = t3 - t2
            # Lines the classifier is sure are upside down on an upright page: read them both
            # ways, flip only when the flipped reading is clearly more confident.
            sure = np.flatnonzero(p180 > opts.line_flip_score).tolist()
            if sure:
                back = self.classifier([_flip(crops[i]) for i in sure])
                doubt = [i for i, pb in zip(sure, back, strict=True) if pb < 0.5]
        else:
            t3 = time.perf_counter()
            timings["classify"] = t3 - t2

        todo = [i for i in range(len(crops)) if i not in known]
        todo_flipped = [i for i in doubt if i not in known_flipped]
        read = self.recognizer([crops[i] for i in todo] + [_flip(crops[i]) for i in todo_flipped])
        known.update(zip(todo, read[: len(todo)], strict=True))
        known_flipped.update(zip(todo_flipped, read[len(todo) :], strict=True))
        results = [known[i] for i in range(len(crops))]
        for i in doubt:
            alt = known_flipped[i]
            if alt[1] > results[i][1] + opts.flip_margin:
                results[i] = alt
                quads[i] = np.roll(quads[i], 2, axis=0)
        t4 = time.perf_counter()
        timings["recognize"] = t4 - t3
        texts = [t.strip() for t, _ in results]
        scores = np.asarray([s for _, s in results], np.float32)
        keep = np.flatnonzero(
            [bool(t) and s >= opts.text_score for t, s in zip(texts, scores, strict=True)]
        )
        out = self._layout(
            quads[keep], [texts[i] for i in keep], scores[keep], k, shape, opts, page
        )
        timings["layout"] = time.perf_counter() - t4
        return out, PageInfo(rotation=k % 4, segments=len(quads), timings=timings)

    def _layout(
        self,
        quads: np.ndarray,
        texts: list[str],
        scores: np.ndarray,
        k: int,
        shape: tuple[int, int],
        opts: ReadOptions,
        page: np.ndarray,
    ) -> TextLines:
        if not len(quads):
            lines = TextLines.empty(self.name)
            if self.blocks is None:
                return lines
            quads = np.zeros((0, 4, 2), np.float32)
        angle = skew_angle(quads)
        boxes = level_boxes(quads, angle)
        found = self.blocks(page) if self.blocks is not None else None
        raw = None
        if found is not None and len(found) and opts.layout in ("auto", "columns"):
            # The layout model's blocks steer the order: blocks (headers first, footers last,
            # columns left to right), lines inside each block by their geometry.
            lines, raw = block_lines(
                boxes,
                _level_blocks(found.boxes, angle),
                found.labels,
                opts.layout,
                min_column=opts.min_column,
            )
        else:
            lines = geometry_lines(boxes, opts.layout, min_column=opts.min_column)
        line_quads, line_texts, line_scores, final_boxes = [], [], [], []
        for seg in lines:
            if len(seg) == 1:
                q = quads[seg[0]]
            else:
                q, _ = min_area_quad(quads[seg].reshape(-1, 2))
            line_quads.append(q)
            line_texts.append(" ".join(texts[i] for i in seg))
            lengths = np.asarray([max(1, len(texts[i])) for i in seg], np.float64)
            line_scores.append(float(np.average(scores[seg], weights=lengths)))
            final_boxes.append(union_box(boxes[seg]))
        lb = np.asarray(final_boxes, np.float32)
        para = paragraphs(lb, list(range(len(lines)))) if len(lines) else np.zeros(0, np.int64)
        polys = np.stack(line_quads).astype(np.float32) if line_quads else quads
        block_kw: dict = {}
        if found is not None:
            if raw is None:
                block_ids, order = assign_blocks(polys, found.boxes)
            else:
                block_ids, order = order_blocks(raw, found.boxes)
                para = _split_at_blocks(para, block_ids)
            bp = _box_quads(found.boxes)[order]
            if k % 4:
                bp = unrotate_points(bp, k, shape)
            block_kw = {
                "block_ids": block_ids,
                "block_polygons": bp,
                "block_types": [found.labels[i] for i in order],
            }
        if k % 4:
            polys = unrotate_points(polys, k, shape)
        return TextLines(
            **block_kw,
            polygons=polys,
            texts=line_texts,
            scores=np.asarray(line_scores, np.float32),
            paragraph_ids=para,
            model=self.name,
        )


SWITCH_ON = ("true", "yes", "on", "1")
SWITCH_OFF = ("false", "no", "off", "0", "")


def layout_model(blocks: str | os.PathLike | bool | None) -> str | os.PathLike | None:
    """The layout model a ``blocks`` setting names: a switch (``True``, ``"true"`` ...) means
    the default one, ``False``/``"false"`` none; anything else is a model name or file.

    >>> layout_model(True), layout_model("off"), layout_model("runs/layout.onnx")
    ('ppocr_layout.cdla', None, 'runs/layout.onnx')
    """
    from foveal.tasks.ocr.blocks import DEFAULT_LAYOUT

    if blocks is None or blocks is False:
        return None
    if blocks is True:
        return DEFAULT_LAYOUT
    text = os.fspath(blocks).strip().lower() if isinstance(blocks, str) else None
    if text in SWITCH_ON:
        return DEFAULT_LAYOUT
    if text in SWITCH_OFF:
        return None
    return blocks


def _box_quads(boxes: np.ndarray) -> np.ndarray:
    """(M, 4) xyxy boxes -> (M, 4, 2) corners, clockwise from top-left."""
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    return np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]]], axis=1).astype(
        np.float32
    )


def _level_blocks(boxes: np.ndarray, angle: float) -> np.ndarray:
    """Layout blocks (M, 4 xyxy, page frame) in the deskewed frame of :func:`level_boxes`: each
    box's centre turned with the page, its size kept (the box already holds the tilted content;
    the box around the turned box would be wider and could close a gutter)."""
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    centre = level_boxes(((b[:, :2] + b[:, 2:]) / 2)[:, None, :], angle)[:, :2]
    half = (b[:, 2:] - b[:, :2]) / 2
    return np.concatenate([centre - half, centre + half], axis=1)


def _split_at_blocks(para: np.ndarray, block_ids: np.ndarray) -> np.ndarray:
    """Paragraph ids that also change wherever the block changes."""
    if not len(para):
        return para
    new = np.r_[False, (np.diff(para) != 0) | (np.diff(block_ids) != 0)]
    return np.cumsum(new).astype(np.int64)


def _reorder(quads: np.ndarray) -> np.ndarray:
    return np.stack([order_clockwise(q) for q in quads]) if len(quads) else quads


def _is_sideways(quads: np.ndarray) -> bool:
    """True when most of the elongated text regions (by length) are vertical."""
    sizes = np.asarray([quad_size(q) for q in quads])
    w, h = sizes[:, 0], sizes[:, 1]
    long_side = np.maximum(w, h)
    elongated = long_side >= 1.5 * np.minimum(w, h)
    if not elongated.any():
        return False
    vertical = (h > w) & elongated
    return float(long_side[vertical].sum()) > 0.5 * float(long_side[elongated].sum())


def _flip(crop: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(crop[::-1, ::-1])


def _flip_vote(crops: list[np.ndarray], p180: np.ndarray) -> float:
    """Width-weighted share of lines the classifier reads as upside down (0..1)."""
    weights = np.asarray([c.shape[1] for c in crops], np.float64)
    return float(np.average(p180 > 0.5, weights=weights))


def _longest(crops: list[np.ndarray], n: int) -> list[int]:
    """Indices of the ``n`` widest crops."""
    return np.argsort([-c.shape[1] for c in crops], kind="stable")[:n].tolist()


def _crop(page: np.ndarray, quad: np.ndarray) -> np.ndarray:
    crop = crop_quad(page, quad)
    h, w = crop.shape[:2]
    if h >= 1.5 * w:  # a vertical line on an upright page (e.g. vertical CJK): read it turned
        crop = np.ascontiguousarray(np.rot90(crop))
    return crop
