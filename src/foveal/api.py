"""The verbs: a handful of functions a newcomer understands in a minute.

>>> import foveal
>>> foveal.classify("cat.jpg").top1                      # doctest: +SKIP
'tabby'

Predictors are created on first use and kept, so repeated calls are fast.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import numpy as np

from foveal.io import ImageSource
from foveal.results import Classification, Detections, Faces, TextLines


@lru_cache(maxsize=8)
def _classifier(model: str, backend: str) -> Any:
    from foveal.tasks.classification import Classifier

    return Classifier(model, backend=backend)


def classify(
    image: ImageSource,
    *,
    model: str | os.PathLike = "mobilenet_v2.imagenet",
    top_k: int = 5,
    backend: str = "onnx",
) -> Classification:
    """Classify one image: the ``top_k`` classes with softmax probabilities, best first.

    Args:
        image: a path, encoded bytes, an RGB numpy array or a PIL image.
        model: a zoo name, an exported ``.onnx`` file or a training run folder.
        top_k: how many classes to return.
        backend: ``"onnx"`` (ONNX Runtime, default) or ``"torch"``.

    >>> foveal.classify("coffee.png", top_k=1).names     # doctest: +SKIP
    ['espresso']
    """
    return _classifier(os.fspath(model), backend).predict(image, top_k=top_k)


def embed(
    image: ImageSource,
    *,
    model: str | os.PathLike = "mobilenet_v2.imagenet",
    normalize: bool = True,
    backend: str = "onnx",
) -> np.ndarray:
    """A learned feature vector for one image (pooled CNN features, L2-normalised by default).

    >>> v = foveal.embed("a.jpg"); w = foveal.embed("b.jpg")   # doctest: +SKIP
    >>> float(v @ w)   # cosine similarity                      # doctest: +SKIP
    0.83
    """
    vec = _classifier(os.fspath(model), backend).embed(image).astype(np.float32)
    if normalize:
        vec = vec / max(float(np.linalg.norm(vec)), 1e-12)
    return vec




@lru_cache(maxsize=8)
def _detector(model: str, backend: str) -> Any:
    from foveal.tasks.detection import Detector

    return Detector(model, backend=backend)


def detect(
    image: ImageSource,
    *,
    model: str | os.PathLike = "yolox_nano.coco",
    conf: float = 0.25,
    iou: float = 0.45,
    classes: str | list[str] | None = None,
    backend: str = "onnx",
) -> Detections:
    """Objects in one image: boxes (``xyxy`` pixels), scores, class ids and names, best first.

    Args:
        image: a path, encoded bytes, an RGB numpy array or a PIL image.
        model: a zoo name, a foveal detection ``.onnx`` file or a ``foveal train detect`` run folder.
        conf: minimum score; iou: NMS overlap threshold.
        classes: keep only these class names (e.g. ``["person", "car"]``); unknown names are an error.
        backend: ``"onnx"`` (default) or ``"torch"``.

    >>> d = foveal.detect("street.jpg", classes=["person"])   # doctest: +SKIP
    >>> len(d), d.names[:1]                                    # doctest: +SKIP
    (3, ['person'])
    """
    return _detector(os.fspath(model), backend).predict(image, conf=conf, iou=iou, classes=classes)
# -- faces (issue 4) ------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _face_detector(model: str, conf: float) -> Any:
    from foveal.tasks.faces import FaceDetector

    return FaceDetector(model, conf=conf)


def detect_faces(image: ImageSource, *, model: str = "yunet.2023mar", conf: float = 0.6) -> Faces:
    """Faces with boxes, scores and 5 landmarks (eyes, nose tip, mouth corners), best first.

    Args:
        image: a path, encoded bytes, an RGB numpy array or a PIL image.
        model: ``"yunet.2023mar"`` (default, fast) or ``"centerface.wider"``.
        conf: minimum face score in [0, 1].

    >>> faces = foveal.detect_faces("team.jpg")              # doctest: +SKIP
    >>> faces.xyxy.shape, faces.landmarks.shape               # doctest: +SKIP
    ((4, 4), (4, 5, 2))
    """
    return _face_detector(model, float(conf)).detect(image)


@lru_cache(maxsize=4)
def _face_recognizer(detector: str, embedder: str) -> Any:
    from foveal.tasks.faces import FaceRecognizer

    return FaceRecognizer(detector, embedder)


@lru_cache(maxsize=4)
def _gallery(path: str) -> Any:
    from foveal.gallery import Gallery

    return Gallery(path)


def identify(
    image: ImageSource,
    *,
    gallery: str | os.PathLike | None = None,
    threshold: float | None = None,
    detector: str = "yunet.2023mar",
    embedder: str = "dlib_resnet.v1",
) -> Faces:
    """Find every face and name it from a gallery of enrolled people (``"unknown"`` when nobody
    is closer than ``threshold``; default: the embedder's, 0.6 Euclidean for dlib's ResNet).

    Args:
        image: a path, encoded bytes, an RGB numpy array or a PIL image.
        gallery: the gallery database (default ``$FOVEAL_HOME/faces.db``, filled with
            ``foveal faces enroll NAME PHOTOS...``).

    >>> [(f["name"], f["distance"]) for f in foveal.identify("party.jpg").to_dict()["faces"]]  # doctest: +SKIP
    [('ada', 0.38), ('unknown', 0.74)]
    """
    from foveal.gallery import default_gallery_path
    from foveal.tasks.faces.identify import identify_faces

    path = os.fspath(gallery) if gallery is not None else os.fspath(default_gallery_path())
    return identify_faces(_face_recognizer(detector, embedder), _gallery(path), image, threshold=threshold)


@lru_cache(maxsize=4)
def _text_reader(model: str | None) -> Any:
    from foveal.tasks.ocr import TextReader

    if model is None:
        return TextReader()
    return TextReader(rec=model)


def read_text(image: ImageSource, *, model: str | os.PathLike | None = None) -> TextLines:
    """Read the text in one image: lines in reading order, with polygons, confidences and paragraphs.

    Args:
        image: a path, encoded bytes, an RGB numpy array or a PIL image (PDFs: ``foveal read``).
        model: the recognizer: ``None`` for PP-OCRv6 small (with its detector and direction
            classifier), or a zoo name / ``.onnx`` file / training run folder of a CTC recognizer.

    Pages turned by 90, 180 or 270 degrees are read upright (polygons stay in the input's pixels).

    >>> lines = foveal.read_text("page.png")             # doctest: +SKIP
    >>> print(lines.text)                                 # doctest: +SKIP
    This is a lot of 12 point text to test the
    """
    return _text_reader(None if model is None else os.fspath(model)).read(image)
