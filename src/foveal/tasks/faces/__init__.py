"""Faces: detection with 5 landmarks, alignment, embeddings, recognition against a gallery.

>>> from foveal.tasks.faces import FaceDetector, FaceRecognizer
>>> FaceDetector().detect("people.jpg").xyxy               # doctest: +SKIP
>>> FaceRecognizer().analyze("people.jpg").embeddings      # doctest: +SKIP
"""

from foveal.tasks.faces.align import align_face, dlib_template, similarity_transform
from foveal.tasks.faces.detect import DEFAULT_DETECTOR, FaceDetector
from foveal.tasks.faces.embed import (
    DEFAULT_EMBEDDER,
    DlibEmbedder,
    Embedder,
    OnnxEmbedder,
    distance,
    load_embedder,
)
from foveal.tasks.faces.nms import box_iou, nms
from foveal.tasks.faces.recognize import FaceRecognizer, ManyFacesError, NoFaceError

__all__ = [
    "DEFAULT_DETECTOR",
    "DEFAULT_EMBEDDER",
    "DlibEmbedder",
    "Embedder",
    "FaceDetector",
    "FaceRecognizer",
    "ManyFacesError",
    "NoFaceError",
    "OnnxEmbedder",
    "align_face",
    "box_iou",
    "distance",
    "dlib_template",
    "load_embedder",
    "nms",
    "similarity_transform",
]
