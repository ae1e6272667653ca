"""Faces: detection with 5 landmarks, alignment, embeddings, recognition against a gallery.

>>> from foveal.tasks.faces import FaceDetector, FaceRecognizer
>>> FaceDetector()("astronaut.jpg", conf=0.5).xyxy.round()
array([[179.,  64., 270., 174.]], dtype=float32)
>>> FaceRecognizer()("astronaut.jpg").embeddings.shape
(1, 128)
"""

from foveal.tasks.faces.align import align_face, dlib_template, similarity_transform
from foveal.tasks.faces.embed import (
    DEFAULT_EMBEDDER,
    DlibEmbedder,
    Embedder,
    EmbedParams,
    OnnxEmbedder,
    distance,
    load_embedder,
)
from foveal.tasks.faces.export import export_face_embedder
from foveal.tasks.faces.identify import (
    FaceCluster,
    Verification,
    cluster_images,
    enroll_images,
    identify_faces,
    verify_images,
)
from foveal.tasks.faces.predict import (
    DEFAULT_DETECTOR,
    FaceDetector,
    FaceIdentifier,
    FaceOptions,
    FaceRecognizer,
    ManyFacesError,
    NoFaceError,
    face_list,
)

__all__ = [
    "DEFAULT_DETECTOR",
    "DEFAULT_EMBEDDER",
    "DlibEmbedder",
    "EmbedParams",
    "Embedder",
    "FaceCluster",
    "FaceDetector",
    "FaceIdentifier",
    "FaceOptions",
    "FaceRecognizer",
    "ManyFacesError",
    "NoFaceError",
    "OnnxEmbedder",
    "Verification",
    "align_face",
    "cluster_images",
    "distance",
    "dlib_template",
    "enroll_images",
    "export_face_embedder",
    "face_list",
    "identify_faces",
    "load_embedder",
    "similarity_transform",
    "verify_images",
]
