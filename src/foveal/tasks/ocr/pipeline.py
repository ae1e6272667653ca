"""The OCR pipeline: detect -> orient the page -> crop -> direction check -> recognise -> layout.

>>> from foveal.tasks.ocr import TextReader
>>> reader = TextReader()                                  # doctest: +SKIP
>>> print(reader.read("page.png").text)                    # doctest: +SKIP
This is a lot of 12 point text ...
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from foveal.io import BatchReport, ImageSource, iter_images, load_image
from foveal.results import TextLines
from foveal.tasks.ocr.cls import DEFAULT_CLS, DirectionClassifier
from foveal.tasks.ocr.det import DEFAULT_DET, DBParams, TextDetector
from foveal.tasks.ocr.geometry import (
    crop_quad,
    min_area_quad,
    quad_size,
    rotate_image,
    rotate_points,
    unrotate_points,
)
from foveal.tasks.ocr.layout import group_lines, paragraphs, reading_order
from foveal.tasks.ocr.rec import DEFAULT_REC, TextRecognizer


@dataclass
class PageInfo:
    """What the pipeline found out about a page besides its text."""

    rotation: int = 0
    """Quarter turns clockwise that made the page upright (0, 90, 180 or 270 degrees / 90)."""
    segments: int = 0
    """Text regions the detector found (before dropping empty or low-confidence ones)."""
    timings: dict[str, float] = field(default_factory=dict)


class TextReader:
    """Read text from images: PP-OCRv6 detection + recognition with foveal's own pre/post-processing.

    Args:
        det: zoo name or ``.onnx`` of the DB text detector.
        rec: zoo name or ``.onnx`` of the CTC recognizer (PP-OCR or a foveal-trained CRNN).
        cls: zoo name or ``.onnx`` of the 0/180 direction classifier; ``None`` turns the
            direction check off (pages are then assumed upright or sideways only).
        text_score: lines recognised with a lower confidence are dropped.
        orient: detect 90/180/270 degree page rotations and read the page upright.
        det_max_side: pages are detected on a copy at most this many pixels on the long side.
        threads: ONNX Runtime threads (default: all CPUs this process may use).
    """

    def __init__(
        self,
        det: str | os.PathLike = DEFAULT_DET,
        rec: str | os.PathLike = DEFAULT_REC,
        cls: str | os.PathLike | None = DEFAULT_CLS,
        *,
        text_score: float = 0.5,
        orient: bool = True,
        det_max_side: int = 2000,
        det_params: DBParams | None = None,
        threads: int | None = None,
    ) -> None:
        self.detector = TextDetector(det, max_side=det_max_side, params=det_params or DBParams(), threads=threads)
        self.recognizer = TextRecognizer(rec, threads=threads)
        self.classifier = DirectionClassifier(cls, threads=threads) if cls is not None else None
        self.text_score = float(text_score)
        self.orient = orient
        self.name = f"{self.detector.name}+{self.recognizer.name}"
        self.last_page = PageInfo()

    def __repr__(self) -> str:
        return f"TextReader(det={self.detector.name!r}, rec={self.recognizer.name!r})"

    def read(self, image: ImageSource) -> TextLines:
        """Read one image (path, bytes, RGB array or PIL image): lines in reading order."""
        return self.read_array(load_image(image))

    def read_array(self, rgb: np.ndarray) -> TextLines:
        """Read an RGB uint8 (H, W, 3) array."""
        import time

        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        bgr = np.ascontiguousarray(rgb[..., ::-1])
        shape = bgr.shape[:2]
        quads, _ = self.detector(bgr)
        t1 = time.perf_counter()
        timings["detect"] = t1 - t0
        self.last_page = PageInfo(segments=len(quads), timings=timings)
        if not len(quads):
            return TextLines.empty(self.name)

        # Sideways page? Most elongated regions are taller than wide: turn the page a quarter.
        k = 0
        if self.orient and _is_sideways(quads):
            k = 1
        page = rotate_image(bgr, k) if k else bgr
        quads = _reorder(rotate_points(quads, k, shape)) if k else quads
        crops = [_crop(page, q) for q in quads]
        t2 = time.perf_counter()
        timings["crop"] = t2 - t1

        # Upside down? A width-weighted vote of the direction classifier over all lines.
        if self.classifier is not None:
            p180 = self.classifier(crops)
            weights = np.asarray([c.shape[1] for c in crops], np.float64)
            if self.orient and float(np.average(p180, weights=weights)) > 0.5:
                k += 2
                page = rotate_image(page, 2)
                quads = _reorder(rotate_points(quads, 2, page.shape[:2]))
                crops = [np.ascontiguousarray(c[::-1, ::-1]) for c in crops]
                p180 = 1.0 - p180
            # Lines the classifier thinks are upside down on an upright page: read both ways,
            # keep the more confident reading.
            doubt = np.flatnonzero(p180 > 0.9).tolist()
        else:
            doubt = []
        t3 = time.perf_counter()
        timings["classify"] = t3 - t2

        flipped = [np.ascontiguousarray(crops[i][::-1, ::-1]) for i in doubt]
        results = self.recognizer(crops + flipped)
        for j, i in enumerate(doubt):
            alt = results[len(crops) + j]
            if alt[1] > results[i][1]:
                results[i] = alt
                quads[i] = np.roll(quads[i], 2, axis=0)
        results = results[: len(crops)]
        t4 = time.perf_counter()
        timings["recognize"] = t4 - t3
        texts = [t.strip() for t, _ in results]
        scores = np.asarray([s for _, s in results], np.float32)
        keep = np.flatnonzero([bool(t) and s >= self.text_score for t, s in zip(texts, scores, strict=True)])
        out = self._layout(quads[keep], [texts[i] for i in keep], scores[keep], k, shape)
        timings["layout"] = time.perf_counter() - t4
        self.last_page = PageInfo(rotation=k % 4, segments=len(quads), timings=timings)
        return out

    def _layout(self, quads: np.ndarray, texts: list[str], scores: np.ndarray, k: int, shape: tuple[int, int]) -> TextLines:
        if not len(quads):
            return TextLines.empty(self.name)
        boxes = np.concatenate([quads.min(axis=1), quads.max(axis=1)], axis=1)
        lines = group_lines(boxes)
        line_quads, line_texts, line_scores, line_boxes = [], [], [], []
        for seg in lines:
            if len(seg) == 1:
                q = quads[seg[0]]
            else:
                q, _ = min_area_quad(quads[seg].reshape(-1, 2))
            line_quads.append(q)
            line_texts.append(" ".join(texts[i] for i in seg))
            lengths = np.asarray([len(texts[i]) for i in seg], np.float64)
            line_scores.append(float(np.average(scores[seg], weights=lengths)))
            line_boxes.append(np.concatenate([boxes[seg, :2].min(axis=0), boxes[seg, 2:].max(axis=0)]))
        lb = np.asarray(line_boxes, np.float32)
        order = reading_order(lb)
        para = paragraphs(lb, order)
        polys = np.stack([line_quads[i] for i in order]).astype(np.float32)
        if k % 4:
            polys = unrotate_points(polys, k, shape)
        return TextLines(
            polygons=polys,
            texts=[line_texts[i] for i in order],
            scores=np.asarray([line_scores[i] for i in order], np.float32),
            paragraph_ids=para,
            model=self.name,
        )

    def read_batch(
        self, images: Iterable[ImageSource], *, report: BatchReport | None = None
    ) -> Iterator[tuple[ImageSource, TextLines]]:
        """Read many images in order; unreadable ones go into ``report`` (or raise without one)."""
        for src, rgb in iter_images(images, report=report):
            yield src, self.read_array(rgb)


def _reorder(quads: np.ndarray) -> np.ndarray:
    from foveal.tasks.ocr.geometry import order_clockwise

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


def _crop(page: np.ndarray, quad: np.ndarray) -> np.ndarray:
    crop = crop_quad(page, quad)
    h, w = crop.shape[:2]
    if h >= 1.5 * w:  # a vertical line on an upright page (e.g. vertical CJK): read it turned
        crop = np.ascontiguousarray(np.rot90(crop))
    return crop
