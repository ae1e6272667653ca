"""Group face embeddings by person without labels: agglomerative clustering with a distance cut.

>>> import numpy as np
>>> v = np.array([[0, 0], [0.1, 0], [5, 5], [5.1, 5]], np.float32)
>>> cluster_embeddings(v, threshold=0.6).tolist()
[0, 0, 1, 1]
"""

from __future__ import annotations

import numpy as np

from foveal.errors import ConfigError

LINKAGES = ("average", "complete", "single")


def cluster_embeddings(
    embeddings: np.ndarray, *, threshold: float, metric: str = "euclidean", linkage: str = "average"
) -> np.ndarray:
    """Cluster label per embedding (0, 1, ... by first appearance).

    Two groups merge while their ``linkage`` distance (``average``: the mean pairwise distance,
    ``complete``: the largest, ``single``: the smallest, i.e. chaining like dlib's Chinese
    whispers) is below ``threshold`` — use the embedder's same-person threshold (0.6 for dlib).
    """
    if linkage not in LINKAGES:
        raise ConfigError(f"unknown linkage {linkage!r}; choose one of {', '.join(LINKAGES)}")
    if metric not in ("euclidean", "cosine"):
        raise ConfigError(f"unknown metric {metric!r}; expected 'euclidean' or 'cosine'")
    v = np.asarray(embeddings, np.float64)
    n = len(v)
    if n == 0:
        return np.zeros(0, np.int64)
    if n == 1:
        return np.zeros(1, np.int64)
    from scipy.cluster.hierarchy import fcluster
    from scipy.cluster.hierarchy import linkage as scipy_linkage
    from scipy.spatial.distance import pdist

    d = pdist(v, metric=metric)
    z = scipy_linkage(d, method=linkage)
    raw = fcluster(z, t=threshold, criterion="distance")
    # fcluster merges at distance <= t; relabel by first appearance for stable output
    _, first, inv = np.unique(raw, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))
    return rank[inv].astype(np.int64)
