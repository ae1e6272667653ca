"""Layout: detected text segments (words or word groups) -> lines -> paragraphs, in reading order.

All geometry here is in the *upright* page frame (text runs left to right).

1. **Lines**: segments whose vertical core bands overlap and whose horizontal gap is small (under
   ``join_gap`` line heights) are one line, left to right.
2. **Reading order**: a recursive XY-cut over the lines: at each level the region is split in two at
   its widest empty channel, either a vertical gutter at least ``min_gutter`` line heights wide
   (columns, left part first) or a horizontal gap (upper part first); with ``min_column`` a
   vertical cut needs real columns of text on both sides. Inside a region, lines that share a
   row are read as one line (:func:`rows`: forms, receipts, tables).
3. **Paragraphs**: consecutive lines in reading order stay in one paragraph while each sits just
   below the previous one (gap under ``para_gap`` line heights), overlaps it horizontally and has a
   similar height.

>>> import numpy as np
>>> boxes = np.array([[0, 0, 50, 10], [60, 0, 100, 10], [0, 14, 80, 24]], np.float32)
>>> lines = group_lines(boxes)
>>> lines
[[0, 1], [2]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CORE = 0.3
"""Half-height of a box's vertical core band, as a fraction of its height (DB boxes are padded)."""


def _core(boxes: np.ndarray, core: float = CORE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    h = np.maximum(boxes[:, 3] - boxes[:, 1], 1e-3)
    return cy - core * h, cy + core * h, h


def group_lines(boxes: np.ndarray, *, join_gap: float = 1.5) -> list[list[int]]:
    """Indices of segments per line, each left to right; ``boxes``: (N, 4) xyxy, upright frame.

    Segments join a line when their vertical core bands overlap by half and the horizontal gap
    is under ``join_gap`` line heights (``np.inf``: any gap, i.e. rows).
    """
    n = len(boxes)
    if n == 0:
        return []
    top, bottom, h = _core(boxes)
    lines: list[list[int]] = []
    info: list[list[float]] = []  # per line: core top, core bottom, right edge, height
    for i in np.argsort(boxes[:, 0], kind="stable").tolist():
        best, best_ov = -1, 0.0
        for j, (lt, lb, right, lh) in enumerate(info):
            ov = min(lb, bottom[i]) - max(lt, top[i])
            if ov <= 0:
                continue
            ov /= min(lb - lt, bottom[i] - top[i])
            gap = boxes[i, 0] - right
            if gap > join_gap * max(lh, h[i]) or ov < 0.5:
                continue
            if ov > best_ov:
                best, best_ov = j, ov
        if best < 0:
            lines.append([i])
            info.append([top[i], bottom[i], boxes[i, 2], h[i]])
        else:
            lines[best].append(i)
            lt, lb, right, lh = info[best]
            info[best] = [
                min(lt, top[i]),
                max(lb, bottom[i]),
                max(right, boxes[i, 2]),
                max(lh, h[i]),
            ]
    return lines


def _gaps(lo: np.ndarray, hi: np.ndarray) -> list[tuple[float, float]]:
    """Empty intervals between the union of [lo, hi] ranges: [(start, end), ...]."""
    order = np.argsort(lo, kind="stable")
    out = []
    reach = hi[order[0]]
    for i in order[1:]:
        if lo[i] > reach:
            out.append((float(reach), float(lo[i])))
        reach = max(reach, hi[i])
    return out


def regions(
    boxes: np.ndarray,
    *,
    min_gutter: float = 1.0,
    min_column: float = 0.0,
    core: float = CORE,
    line_height: float | None = None,
    columns_first: bool = False,
) -> list[list[int]]:
    """Line boxes (N, 4 xyxy, upright frame) cut into regions by a recursive XY-cut: a list of
    regions in reading order, each a list of line indices top to bottom.

    At each level the region is split at its widest empty channel: a vertical gutter at least
    ``min_gutter`` line heights wide (columns, left part first) or a horizontal gap (upper part
    first). A vertical cut is only taken when the lines on both sides are, by median, at least
    ``min_column`` line heights long: real columns of text, not the keys and values of a form or
    the cells of a table (those stay in one region, to be read row by row).

    ``core``: the half-height of the band of each box that must be empty for a horizontal cut
    (a fraction of its height; 0.5 for whole boxes such as layout blocks). ``line_height``: the
    unit of ``min_gutter`` and ``min_column`` (default: the boxes' median height).
    ``columns_first``: a vertical gutter, where there is one, is cut before any horizontal gap
    however wide (layout blocks: a horizontal channel between blocks is no reason to leave a
    column).

    >>> boxes = np.array([[0, 0, 40, 10], [60, 0, 100, 10], [0, 15, 40, 25], [60, 15, 100, 25]])
    >>> regions(boxes)                  # two columns of two lines
    [[0], [2], [1], [3]]
    >>> regions(boxes, min_column=8)    # too short for columns: two rows
    [[0, 1], [2, 3]]
    """
    if len(boxes) == 0:
        return []
    boxes = np.asarray(boxes, np.float64)
    top, bottom, h = _core(boxes, core)
    med_h = float(np.median(h)) if line_height is None else line_height
    width = boxes[:, 2] - boxes[:, 0]

    def columns_ok(idx: np.ndarray, first: np.ndarray) -> bool:
        if min_column <= 0:
            return True
        return all(
            float(np.median(width[part])) >= min_column * med_h
            for part in (idx[first], idx[~first])
        )

    def cut(idx: np.ndarray) -> list[list[int]]:
        if len(idx) <= 1:
            return [idx.tolist()]
        ygaps = _gaps(top[idx], bottom[idx])
        xgaps = [
            g for g in _gaps(boxes[idx, 0], boxes[idx, 2]) if g[1] - g[0] >= min_gutter * med_h
        ]
        xgaps = [g for g in xgaps if columns_ok(idx, boxes[idx, 0] < g[1])]
        ybest = max(ygaps, key=lambda g: g[1] - g[0], default=None)
        xbest = max(xgaps, key=lambda g: g[1] - g[0], default=None)
        if xbest is not None and (
            columns_first or ybest is None or xbest[1] - xbest[0] >= ybest[1] - ybest[0]
        ):
            first = boxes[idx, 0] < xbest[1]  # columns: left part first
        elif ybest is not None:
            first = top[idx] < ybest[1]  # rows: upper part first
        else:  # no clean cut: one region, top to bottom, then left to right
            return [idx[np.lexsort((boxes[idx, 0], (top[idx] + bottom[idx]) / 2))].tolist()]
        return cut(idx[first]) + cut(idx[~first])

    return cut(np.arange(len(boxes)))


def geometry_lines(
    boxes: np.ndarray, layout: str = "auto", *, min_column: float = 8.0
) -> list[list[int]]:
    """Segments (N, 4 xyxy, upright frame) grouped into lines in reading order, from their
    geometry alone: a list of lines, each the segment indices left to right.

    ``layout``: ``"auto"`` (columns of real text, rows inside them; see :func:`regions`),
    ``"columns"`` (lines joined across small gaps, then cut into columns by any gutter), ``"rows"``
    (lines sharing a row joined however far apart, rows top to bottom) or ``"none"`` (lines top to
    bottom).

    >>> boxes = np.array([[0, 0, 40, 10], [200, 0, 260, 10], [0, 20, 40, 30]], np.float32)
    >>> geometry_lines(boxes), geometry_lines(boxes, "columns")
    ([[0, 1], [2]], [[0], [2], [1]])
    """
    if len(boxes) == 0:
        return []
    if layout == "auto":
        # Columns cut between segments (before any joining, so no line bridges a gutter),
        # then inside each region the segments sharing a row are one line.
        return [
            [region[j] for j in row]
            for region in regions(boxes, min_column=min_column)
            for row in rows(boxes[region])
        ]
    if layout == "columns":
        # Cut at every gutter first, as "auto" does (joining first could bridge a gutter
        # narrower than the joining gap), then lines inside each column, sub-columns too.
        out: list[list[int]] = []
        for region in regions(boxes):
            segs = group_lines(boxes[region], join_gap=1.5)
            line_boxes = np.asarray([union_box(boxes[region][g]) for g in segs], np.float32)
            out += [[region[j] for j in segs[i]] for sub in regions(line_boxes) for i in sub]
        return out
    segs = group_lines(boxes, join_gap=np.inf if layout == "rows" else 1.5)
    line_boxes = np.asarray([union_box(boxes[g]) for g in segs], np.float32).reshape(-1, 4)
    return [segs[i] for i in top_to_bottom(line_boxes)]


def union_box(boxes: np.ndarray) -> np.ndarray:
    """The xyxy box around (K, 4) xyxy ``boxes``."""
    return np.concatenate([boxes[:, :2].min(axis=0), boxes[:, 2:].max(axis=0)])


def reading_order(boxes: np.ndarray, *, min_gutter: float = 1.0) -> list[int]:
    """Indices of line boxes (N, 4 xyxy, upright frame) in reading order, by recursive XY-cut."""
    return [i for region in regions(boxes, min_gutter=min_gutter) for i in region]


def rows(boxes: np.ndarray) -> list[list[int]]:
    """Boxes (N, 4 xyxy, upright frame) that share a row, each row left to right, rows top to
    bottom: how forms, receipts and tables are read ("Doc No   CS00031663" is one line).

    >>> rows(np.array([[200, 1, 260, 11], [0, 0, 50, 10], [0, 20, 50, 30]]))
    [[1, 0], [2]]
    """
    groups = group_lines(np.asarray(boxes, np.float64), join_gap=np.inf)
    centre = [float(np.mean((boxes[g, 1] + boxes[g, 3]) / 2)) for g in groups]
    return [groups[i] for i in np.argsort(centre, kind="stable")]


def top_to_bottom(boxes: np.ndarray) -> list[int]:
    """Box indices by centre top to bottom (in steps of half the median height), then left to
    right.

    >>> top_to_bottom(np.array([[50, 0, 90, 10], [0, 1, 40, 11], [0, 20, 40, 30]]))
    [1, 0, 2]
    """
    if len(boxes) == 0:
        return []
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    step = max(1.0, float(np.median(boxes[:, 3] - boxes[:, 1])) / 2)
    return np.lexsort((boxes[:, 0], np.round(cy / step))).tolist()


def skew_angle(quads: np.ndarray) -> float:
    """The page's text skew in radians: the length-weighted median direction of the quads' top
    edges (0 for level text; positive when lines go down to the right)."""
    if len(quads) == 0:
        return 0.0
    d = quads[:, 1] - quads[:, 0]
    length = np.hypot(d[:, 0], d[:, 1])
    angle = np.arctan2(d[:, 1], np.maximum(d[:, 0], 1e-6))
    keep = length > 0
    if not keep.any():
        return 0.0
    order = np.argsort(angle[keep])
    cum = np.cumsum(length[keep][order])
    return float(angle[keep][order][np.searchsorted(cum, cum[-1] / 2)])


def level_boxes(quads: np.ndarray, angle: float) -> np.ndarray:
    """Axis-aligned (N, 4) xyxy boxes of the quads after turning them by ``-angle`` (deskewed)."""
    c, s = np.cos(-angle), np.sin(-angle)
    x, y = quads[..., 0], quads[..., 1]
    xr, yr = c * x - s * y, s * x + c * y
    return np.stack([xr.min(1), yr.min(1), xr.max(1), yr.max(1)], axis=1).astype(np.float32)


def paragraphs(
    boxes: np.ndarray, order: Sequence[int], *, para_gap: float = 1.6, short_line: float = 0.6
) -> np.ndarray:
    """Paragraph id of each line of ``order`` (lines given as (N, 4) xyxy, upright frame).

    A line starts a new paragraph unless it sits directly below the previous one: its centre is
    lower by under ``para_gap`` times the page's typical line pitch (or 2.2 line heights when the
    page has too few lines to tell), it overlaps the previous line horizontally and its height is
    within 40%; and the previous line is not short (it reaches at least ``short_line`` of the
    width of its run of lines: a short line ends a paragraph).
    """
    ids = np.zeros(len(order), np.int64)
    if not len(order):
        return ids
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    h = np.maximum(boxes[:, 3] - boxes[:, 1], 1e-3)
    pairs = []
    for k in range(1, len(order)):
        a, b = order[k - 1], order[k]
        overlap = min(boxes[a, 2], boxes[b, 2]) - max(boxes[a, 0], boxes[b, 0])
        similar = max(h[a], h[b]) / min(h[a], h[b]) < 1.4
        pitch = (cy[b] - cy[a]) / min(h[a], h[b])
        pairs.append((pitch, overlap > 0 and similar and pitch > 0.5))
    candidates = [p for p, ok in pairs if ok]
    typical = float(np.median(candidates)) if len(candidates) >= 3 else 2.2 / para_gap
    limit = min(para_gap * typical, 3.0)
    joined = [ok and pitch < limit for pitch, ok in pairs]
    # Within a run of regularly spaced lines, a line that stops well short of the run's right
    # edge ends its paragraph (the last line of a paragraph in justified or ragged text).
    start = 0
    for end in range(1, len(order) + 1):
        if end == len(order) or not joined[end - 1]:
            run = [order[k] for k in range(start, end)]
            left, right = boxes[run, 0].min(), boxes[run, 2].max()
            for k in range(start, end - 1):
                if boxes[order[k], 2] < left + short_line * (right - left):
                    joined[k] = False
            start = end
    pid = 0
    for k, ok in enumerate(joined, start=1):
        if not ok:
            pid += 1
        ids[k] = pid
    return ids
