"""The verbs: a handful of functions a newcomer understands in a minute.

Every verb takes the same sources: one image (a path, bytes, an RGB numpy array or a PIL image)
returns one result; a list, folder, glob, video (per frame) or PDF (per page) returns a list of
results in input order, or a generator with ``stream=True``. Options left at ``None`` take the
task's default. Models load on first use and are shared (thread-safe: options are per call).

>>> import foveal
>>> foveal.classify("cat.jpg").names[:3]
['Egyptian cat', 'tabby', 'tiger cat']
>>> [r.names[0] for r in foveal.classify(["cat.jpg", "coffee.png"], top_k=1)]
['Egyptian cat', 'espresso']
>>> [len(d) for d in foveal.detect("clip.mp4", stream=True)]   # doctest: +SKIP
[8, 8, 8, ...]

Every task in :data:`foveal.tasks.TASKS` also runs through :func:`run`.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from foveal.io import Sources
from foveal.tasks import get_task


def run(task: str, source: Sources, *, stream: bool = False, **options: Any) -> Any:
    """Run any task of :data:`foveal.tasks.TASKS` by name.

    Args:
        task: a task name (``"classify"``, ``"detect"``, ``"faces"``, ``"ocr"`` ...).
        source: one image, or many (list, folder, glob, video, PDF).
        options: the task's constructor options (``model`` ...) and call options (``conf`` ...).

    >>> foveal.run("detect", "astronaut.jpg", conf=0.5).names
    ['person']
    """
    spec = get_task(task)
    init, call = spec.split_options(options)
    return spec.load(**init)(source, stream=stream, **call)


def _model(model: str | os.PathLike | None) -> str | None:
    return None if model is None else os.fspath(model)


def classify(
    source: Sources,
    *,
    model: str | os.PathLike | None = None,
    top_k: int | None = None,
    backend: str | None = None,
    stream: bool = False,
) -> Any:
    """The ``top_k`` classes (default 5) with softmax probabilities, best first.

    Args:
        model: a zoo name (default ``mobilenet_v2.imagenet``), an exported ``.onnx`` file or a
            training run folder.
        backend: ``"onnx"`` (ONNX Runtime, default) or ``"torch"``.

    >>> foveal.classify("coffee.png", top_k=1).names
    ['espresso']
    """
    return run("classify", source, stream=stream, model=_model(model), backend=backend, top_k=top_k)


def embed(
    source: Sources,
    *,
    model: str | os.PathLike | None = None,
    normalize: bool = True,
    backend: str | None = None,
) -> np.ndarray:
    """A learned feature vector per image (pooled CNN features, L2-normalised by default):
    ``(D,)`` for one image, ``(N, D)`` for many.

    >>> v = foveal.embed("cat.jpg"); w = foveal.embed("coffee.png")
    >>> v.shape, round(float(v @ w), 1)   # cosine similarity
    ((1280,), 0.4)
    """
    clf = get_task("classify").load(model=_model(model), backend=backend)
    vecs = clf.embed(source).astype(np.float32)
    if normalize:
        vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=-1, keepdims=True), 1e-12)
    return vecs


def detect(
    source: Sources,
    *,
    model: str | os.PathLike | None = None,
    conf: float | None = None,
    iou: float | None = None,
    classes: str | list[str] | None = None,
    backend: str | None = None,
    stream: bool = False,
) -> Any:
    """Objects: boxes (``xyxy`` pixels), scores, class ids and names, best first.

    Args:
        model: a zoo name (default ``yolox_nano.coco``), a foveal detection ``.onnx`` file or a
            ``foveal train detect`` run folder.
        conf: minimum score (default 0.25); iou: NMS overlap threshold (default 0.45).
        classes: keep only these class names (e.g. ``["person", "car"]``); unknown names are
            an error.

    >>> d = foveal.detect("astronaut.jpg", classes=["person"])
    >>> len(d), d.names
    (1, ['person'])
    """
    return run(
        "detect",
        source,
        stream=stream,
        model=_model(model),
        backend=backend,
        conf=conf,
        iou=iou,
        classes=classes,
    )


def detect_faces(
    source: Sources,
    *,
    model: str | None = None,
    conf: float | None = None,
    stream: bool = False,
) -> Any:
    """Faces with boxes, scores and 5 landmarks (eyes, nose tip, mouth corners), best first.

    Args:
        model: ``"yunet.2023mar"`` (default, fast) or ``"centerface.wider"``.
        conf: minimum face score in [0, 1] (default: the detector's, 0.8 YuNet, 0.6 CenterFace).

    >>> faces = foveal.detect_faces("astronaut.jpg")
    >>> faces.xyxy.shape, faces.landmarks.shape
    ((1, 4), (1, 5, 2))
    """
    return run("faces", source, stream=stream, model=model, conf=conf)


def identify(
    source: Sources,
    *,
    gallery: str | os.PathLike | None = None,
    threshold: float | None = None,
    detector: str | None = None,
    embedder: str | None = None,
    stream: bool = False,
) -> Any:
    """Find every face and name it from a gallery of enrolled people (``"unknown"`` when nobody
    is closer than ``threshold``; default: the embedder's, 0.6 Euclidean for dlib's ResNet).

    Args:
        gallery: the gallery database (default ``faces.db`` in the user-data folder, see
            ``docs/install.md``), filled with ``foveal faces enroll NAME PHOTOS...``.

    >>> foveal.identify("astronaut.jpg", gallery="people.db").names   # nobody enrolled yet
    ['unknown']
    >>> faces = foveal.identify("party.jpg").to_dict()["faces"]       # doctest: +SKIP
    >>> [(f["name"], f["distance"]) for f in faces]                 # doctest: +SKIP
    [('ada', 0.38), ('unknown', 0.74)]
    """
    return run(
        "identify",
        source,
        stream=stream,
        gallery=None if gallery is None else os.path.abspath(gallery),
        threshold=threshold,
        detector=detector,
        embedder=embedder,
    )


def read_text(
    source: Sources, *, model: str | os.PathLike | None = None, stream: bool = False
) -> Any:
    """Read the text: lines in reading order, with polygons, confidences and paragraphs.

    Args:
        source: an image, or many (a PDF gives one result per page).
        model: the recognizer: ``None`` for PP-OCRv6 small (with its detector and direction
            classifier), or a zoo name / ``.onnx`` file / training run folder of a CTC recognizer.

    Pages turned by 90, 180 or 270 degrees are read upright (polygons stay in the input's pixels).

    >>> print(foveal.read_text("page.png").text)
    foveal reads text offline
    Invoice 2026-041: 3 boxes of apples
    Total due: 128.50 EUR
    """
    return run("ocr", source, stream=stream, model=_model(model))


def segment(
    source: Sources,
    *,
    model: str | os.PathLike | None = None,
    tile: int | None = None,
    overlap: int | None = None,
    probabilities: bool | None = None,
    stream: bool = False,
) -> Any:
    """A class for every pixel (:class:`foveal.results.Segmentation`): person vs background with
    MediaPipe's selfie model (the default), or your classes with a U-Net trained by
    ``foveal train segment`` (any image size, in overlapping ``tile`` windows).

    Args:
        model: ``None`` for ``selfie.mediapipe``, or a training run folder (or its ONNX file).
        tile, overlap: sliding-window size and overlap in pixels (default 512 and 64).
        probabilities: also keep the per-class probabilities.

    >>> foveal.segment("astronaut.jpg").labels
    ['background', 'person']
    >>> seg = foveal.segment("slice.png", model="runs/segment/1")     # doctest: +SKIP
    >>> seg.areas, seg.to_mask().max()                                 # doctest: +SKIP
    ({'class_0': 52113, 'class_255': 210031}, 255)
    """
    return run(
        "segment",
        source,
        stream=stream,
        model=_model(model),
        tile=tile,
        overlap=overlap,
        probabilities=probabilities,
    )
