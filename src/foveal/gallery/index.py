"""Nearest-neighbour search over face embeddings: exact numpy by default, FAISS for large galleries.

>>> import numpy as np
>>> idx = ExactIndex(np.eye(3, dtype=np.float32), metric="euclidean")
>>> d, i = idx.search(np.array([[1, 0.1, 0]], np.float32), k=1)
>>> i.tolist(), d.astype(float).round(3).tolist()
([[0]], [[0.1]])
"""

from __future__ import annotations

import numpy as np

from foveal.errors import ConfigError

FAISS_MIN_SIZE = 50_000
"""Galleries with at least this many faces use FAISS (exact flat index) when it is installed."""

SMALL_BATCH = 8
"""Up to this many queries are searched single-threaded: for one face, a multi-threaded BLAS call
costs more in thread wake-ups than it saves (20 ms instead of 0.3 ms on a busy 2-core machine)."""


def _dot(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``q @ v.T``; small batches through einsum (no BLAS threads), large ones through BLAS."""
    if len(q) <= SMALL_BATCH:
        return np.einsum("ij,kj->ik", q, v)
    return q @ v.T


def _unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


class ExactIndex:
    """Brute-force search with numpy (BLAS matrix product); exact, fast up to ~10^5 faces."""

    kind = "numpy"

    def __init__(self, vectors: np.ndarray, *, metric: str) -> None:
        if metric not in ("euclidean", "cosine"):
            raise ConfigError(f"unknown metric {metric!r}; expected 'euclidean' or 'cosine'")
        self.metric = metric
        v = np.ascontiguousarray(vectors, np.float32)
        if v.ndim != 2:
            v = v.reshape(len(v), -1) if v.size else np.zeros((0, 0), np.float32)
        if metric == "cosine":
            v = _unit(v)
        self.vectors = v
        self.sq = (v * v).sum(1)

    def __len__(self) -> int:
        return len(self.vectors)

    def _queries(self, queries: np.ndarray) -> np.ndarray:
        """Queries as float32 rows, unit length for the cosine metric (like the stored vectors)."""
        q = np.ascontiguousarray(queries, np.float32).reshape(len(queries), -1)
        return _unit(q) if self.metric == "cosine" else q

    def search(self, queries: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """``(M, k)`` distances (ascending) and indices of the ``k`` nearest vectors per query."""
        q = self._queries(queries)
        n = len(self.vectors)
        if n == 0:
            return np.zeros((len(q), 0), np.float32), np.zeros((len(q), 0), np.int64)
        k = min(k, n)
        if self.metric == "cosine":
            d = 1.0 - _dot(q, self.vectors)
        else:
            d2 = (q * q).sum(1)[:, None] + self.sq[None, :] - 2.0 * _dot(q, self.vectors)
            d = np.sqrt(np.clip(d2, 0.0, None))
        if k < n:
            part = np.argpartition(d, k - 1, axis=1)[:, :k]
        else:
            part = np.broadcast_to(np.arange(n), (len(q), n)).copy()
        pd = np.take_along_axis(d, part, 1)
        order = np.argsort(pd, axis=1, kind="stable")
        return np.take_along_axis(pd, order, 1).astype(np.float32), np.take_along_axis(
            part, order, 1
        )


class FaissIndex(ExactIndex):
    """The same exact search through FAISS (``IndexFlatL2`` / ``IndexFlatIP``)."""

    kind = "faiss"

    def __init__(self, vectors: np.ndarray, *, metric: str) -> None:
        import faiss

        super().__init__(vectors, metric=metric)
        dim = self.vectors.shape[1]
        self._index = faiss.IndexFlatL2(dim) if metric == "euclidean" else faiss.IndexFlatIP(dim)
        self._index.add(self.vectors)

    def search(self, queries: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        if len(self.vectors) == 0:
            return super().search(queries, k)  # no results, shaped (M, 0)
        q = self._queries(queries)
        k = min(k, len(self.vectors))
        import faiss

        threads = faiss.omp_get_max_threads()
        if len(q) <= SMALL_BATCH:
            faiss.omp_set_num_threads(1)
        try:
            out, idx = self._index.search(q, k)
        finally:
            faiss.omp_set_num_threads(threads)
        if self.metric == "cosine":
            return (1.0 - out).astype(np.float32), idx.astype(np.int64)
        return np.sqrt(np.clip(out, 0, None)).astype(np.float32), idx.astype(np.int64)


def build_index(vectors: np.ndarray, *, metric: str, backend: str = "auto") -> ExactIndex:
    """``backend``: ``"numpy"``, ``"faiss"`` or ``"auto"`` (FAISS when installed and the gallery
    has at least :data:`FAISS_MIN_SIZE` faces)."""
    if backend not in ("auto", "numpy", "faiss"):
        raise ConfigError(f"unknown index backend {backend!r}; choose auto, numpy or faiss")
    if backend == "faiss" or (backend == "auto" and len(vectors) >= FAISS_MIN_SIZE):
        try:
            return FaissIndex(vectors, metric=metric)
        except ImportError:
            if backend == "faiss":
                raise ConfigError(
                    "index backend 'faiss' needs faiss-cpu: pip install faiss-cpu"
                ) from None
    return ExactIndex(vectors, metric=metric)
