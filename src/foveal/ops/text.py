"""Sequence operations for text: edit distance and greedy CTC decoding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def edit_distance(a: Sequence[Any], b: Sequence[Any]) -> int:
    """Levenshtein distance (insertions, deletions, substitutions all cost 1) between two sequences.

    Row-by-row dynamic programming, vectorised with numpy: ``O(len(a) * len(b))`` work,
    ``O(len(b))`` memory.

    >>> edit_distance("kitten", "sitting")
    3
    """
    if len(a) < len(b):
        a, b = b, a
    if len(b) == 0:
        return len(a)
    vocab: dict[Any, int] = {}
    ai = np.fromiter((vocab.setdefault(x, len(vocab)) for x in a), np.int64, len(a))
    bi = np.fromiter((vocab.setdefault(x, len(vocab)) for x in b), np.int64, len(b))
    m = len(bi)
    cols = np.arange(m + 1, dtype=np.int64)
    prev = cols.copy()
    for i, ch in enumerate(ai, start=1):
        cur = np.empty(m + 1, np.int64)
        cur[0] = i
        # substitution / match and deletion, then insertions as a running minimum along the row:
        # cur[j] = min_k<=j (tmp[k] + j - k)
        cur[1:] = np.minimum(prev[:-1] + (bi != ch), prev[1:] + 1)
        cur = np.minimum.accumulate(cur - cols) + cols
        prev = cur
    return int(prev[-1])


def ctc_greedy_decode(
    probs: np.ndarray,
    charset: Sequence[str],
    *,
    blank: int = 0,
    lengths: Sequence[int] | None = None,
) -> list[tuple[str, float]]:
    """Greedy CTC decoding of ``probs`` (N, T, C): ``[(text, confidence), ...]``.

    ``lengths`` limits each row to its first ``lengths[i]`` time steps (padding excluded).

    >>> p = np.zeros((1, 5, 3), np.float32); p[0, [0, 1, 2, 3, 4], [1, 1, 0, 1, 2]] = 1
    >>> ctc_greedy_decode(p, ["-", "a", "b"])
    [('aab', 1.0)]
    """
    idx = probs.argmax(axis=2)
    best = np.take_along_axis(probs, idx[..., None], axis=2)[..., 0]
    out = []
    for i in range(idx.shape[0]):
        t_max = idx.shape[1] if lengths is None else int(lengths[i])
        row, conf = idx[i, :t_max], best[i, :t_max]
        keep = row != blank
        keep[1:] &= row[1:] != row[:-1]
        text = "".join(charset[c] for c in row[keep])
        score = float(conf[keep].mean()) if keep.any() else 0.0
        out.append((text, score))
    return out
