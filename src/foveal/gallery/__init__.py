"""Face gallery: people and their face embeddings in SQLite, 1:N search, clustering.

>>> from foveal.gallery import Gallery
>>> with Gallery("faces.db") as g:                                 # doctest: +SKIP
...     g.enroll("ada", vec, embedder="dlib_resnet.v1")
...     names, dists = g.match(query, threshold=0.6)
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
