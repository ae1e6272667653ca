"""Face gallery: people and their face embeddings in SQLite, 1:N search, clustering.

>>> from foveal.gallery import Gallery
>>> with Gallery("faces.db") as g:
...     _ = g.enroll("ada", np.zeros(128), embedder="dlib_resnet.v1")
...     names, dists = g.match(np.full(128, 0.01), threshold=0.6)
>>> names, dists.round(2)
(['ada'], array([0.11], dtype=float32))
"""

from foveal.gallery.cluster import cluster_embeddings
from foveal.gallery.index import FAISS_MIN_SIZE, ExactIndex, FaissIndex, build_index
from foveal.gallery.store import UNKNOWN, Gallery, GalleryError, Person, default_gallery_path

__all__ = [
    "FAISS_MIN_SIZE",
    "UNKNOWN",
    "ExactIndex",
    "FaissIndex",
    "Gallery",
    "GalleryError",
    "Person",
    "build_index",
    "cluster_embeddings",
    "default_gallery_path",
]
