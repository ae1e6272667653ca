"""Vector search over unit vectors: exact top-k (numpy), FAISS indexes, near-duplicate groups.

>>> vecs = np.eye(3, dtype=np.float32)
>>> scores, ids = exact_topk(vecs, np.array([10, 11, 12]), vecs[1:2], 2)
>>> ids.tolist(), scores[0, 0].item()
([[11, 10]], 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from foveal.errors import ConfigError

BACKENDS = ("auto", "exact", "faiss")
FAISS_MIN_ITEMS = 20_000
"""``auto`` uses FAISS (an IVF index) from this many vectors on, when faiss is installed."""


@dataclass(frozen=True)
class Hit:
    """One search result: a file and its cosine similarity to the query (1 = identical features)."""

    path: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "score": round(float(self.score), 6)}


def exact_topk(
    vecs: np.ndarray, ids: np.ndarray, queries: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k by inner product (cosine on unit vectors), numpy only: ``(scores, ids)``."""
    sims = queries @ np.asarray(vecs).T
    if k < sims.shape[1]:
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    else:
        part = np.tile(np.arange(sims.shape[1]), (len(sims), 1))
    top = np.take_along_axis(sims, part, axis=1)
    order = np.argsort(-top, axis=1, kind="stable")
    pos = np.take_along_axis(part, order, axis=1)
    return np.take_along_axis(top, order, axis=1), ids[pos]


def faiss_available() -> bool:
    """Whether the optional ``faiss`` package can be imported."""
    import importlib.util

    return importlib.util.find_spec("faiss") is not None


def resolve_backend(backend: str, n: int) -> str:
    """``exact`` or ``faiss`` for a collection of ``n`` vectors (``auto``: faiss from
    :data:`FAISS_MIN_ITEMS` on, when installed).

    >>> resolve_backend("auto", 10)
    'exact'
    """
    if backend not in BACKENDS:
        raise ConfigError(
            f"unknown search backend {backend!r}; choose one of {', '.join(BACKENDS)}"
        )
    if backend == "auto":
        return "faiss" if n >= FAISS_MIN_ITEMS and faiss_available() else "exact"
    if backend == "faiss" and not faiss_available():
        raise ConfigError(
            "the faiss backend needs faiss: pip install faiss-cpu (or use --backend exact)"
        )
    return backend


def build_faiss(vecs: np.ndarray, *, seed: int = 0) -> Any:
    """Inner-product FAISS index: flat below ``FAISS_MIN_ITEMS`` vectors, IVF (4 sqrt(N) lists)
    above."""
    import faiss

    n, dim = vecs.shape
    if n < FAISS_MIN_ITEMS:
        index = faiss.IndexFlatIP(dim)
        index.add(vecs)
        return index
    nlist = int(4 * np.sqrt(n))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(seed)
    sample = vecs[np.sort(rng.choice(n, min(n, 40 * nlist), replace=False))]
    index.cp.seed = seed
    index.train(sample)
    index.add(vecs)
    return index


def similar_groups(vecs: np.ndarray, threshold: float, *, block: int = 2048) -> list[list[int]]:
    """Groups (of row numbers, two or more each) of vectors whose inner product is at least
    ``threshold``, joined transitively; rows in a group ascend, groups by their first row.

    >>> v = np.array([[1, 0], [0.99, 0.14], [0, 1]], np.float32)
    >>> similar_groups(v, 0.9)
    [[0, 1]]
    """
    parent = list(range(len(vecs)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for start in range(0, len(vecs), block):
        sims = vecs[start : start + block] @ vecs.T
        rows, cols = np.nonzero(sims >= threshold)
        for r, c in zip(rows + start, cols, strict=True):
            if c > r:
                ra, rc = find(int(r)), find(int(c))
                if ra != rc:
                    parent[max(ra, rc)] = min(ra, rc)
    groups: dict[int, list[int]] = {}
    for i in range(len(vecs)):
        groups.setdefault(find(i), []).append(i)
    return [members for members in groups.values() if len(members) > 1]
