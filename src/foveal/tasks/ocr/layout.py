"""Layout: detected text segments (words or word groups) -> lines -> paragraphs, in reading order.

All geometry here is in the *upright* page frame (text runs left to right).

1. **Lines**: segments whose vertical core bands overlap and whose horizontal gap is small (under
   ``join_gap`` line heights) are one line, left to right.
2. **Reading order**: a recursive XY-cut over the lines: at each level the region is split in two at
   its widest empty channel, either a vertical gutter at least ``min_gutter`` line heights wide
   (columns, left part first) or a horizontal gap (upper part first).
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


def _core(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    h = np.maximum(boxes[:, 3] - boxes[:, 1], 1e-3)
    return cy - CORE * h, cy + CORE * h, h


def group_lines(boxes: np.ndarray, *, join_gap: float = 1.5) -> list[list[int]]:
    """Indices of segments per line, each left to right; ``boxes``: (N, 4) xyxy, upright frame."""
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


def reading_order(boxes: np.ndarray, *, min_gutter: float = 1.0) -> list[int]:
    """Indices of line boxes (N, 4 xyxy, upright frame) in reading order, by recursive XY-cut."""
    if len(boxes) == 0:
        return []
    top, bottom, h = _core(boxes)
    med_h = float(np.median(h))

    def cut(idx: np.ndarray) -> list[int]:
        if len(idx) <= 1:
            return idx.tolist()
        ygaps = _gaps(top[idx], bottom[idx])
        xgaps = [
            g for g in _gaps(boxes[idx, 0], boxes[idx, 2]) if g[1] - g[0] >= min_gutter * med_h
        ]
        ybest = max(ygaps, key=lambda g: g[1] - g[0], default=None)
        xbest = max(xgaps, key=lambda g: g[1] - g[0], default=None)
        if xbest is not None and (ybest is None or xbest[1] - xbest[0] >= ybest[1] - ybest[0]):
            first = boxes[idx, 0] < xbest[1]  # columns: left part first
        elif ybest is not None:
            first = top[idx] < ybest[1]  # rows: upper part first
        else:  # no clean cut: top to bottom, then left to right
            return idx[np.lexsort((boxes[idx, 0], (top[idx] + bottom[idx]) / 2))].tolist()
        return cut(idx[first]) + cut(idx[~first])

    return cut(np.arange(len(boxes)))


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
