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
from foveal.tasks.faces.identify import (
    FaceCluster,
    Verification,
    cluster_images,
    enroll_images,
    identify_faces,
    verify_images,
)
from foveal.tasks.faces.nms import box_iou, nms
from foveal.tasks.faces.recognize import FaceRecognizer, ManyFacesError, NoFaceError

__all__ = [
    "DEFAULT_DETECTOR",
    "DEFAULT_EMBEDDER",
    "DlibEmbedder",
    "Embedder",
    "FaceCluster",
    "FaceDetector",
    "FaceRecognizer",
    "ManyFacesError",
    "NoFaceError",
    "OnnxEmbedder",
    "Verification",
    "align_face",
    "box_iou",
    "cluster_images",
    "distance",
    "dlib_template",
    "enroll_images",
    "identify_faces",
    "load_embedder",
    "nms",
    "similarity_transform",
    "verify_images",
]
