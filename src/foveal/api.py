"""The verbs: a handful of functions a newcomer understands in a minute.

Every verb takes the same sources: one image (a path, bytes, an RGB numpy array or a PIL image)
returns one result; a list, folder, glob, video (per frame) or PDF (per page) returns a list of
results in input order, or a generator with ``stream=True``. Options left at ``None`` take the
task's default. Models load on first use and are shared (thread-safe: options are per call).
Every verb that runs networks takes ``threads=``: ONNX Runtime threads per network (default:
``FOVEAL_THREADS``, else the CPUs the machine's load leaves free; ``docs/speed.md``).

>>> import foveal
>>> foveal.classify("cat.jpg").names[:3]
['Egyptian cat', 'tabby', 'tiger cat']
>>> [r.names[0] for r in foveal.classify(["cat.jpg", "coffee.png"], top_k=1)]
['Egyptian cat', 'espresso']

A video gives one result per frame; ``stream=True`` yields them as they come::

    for d in foveal.detect("clip.mp4", stream=True):
        print(d.index, len(d))     # frame number (from 0), objects found

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
    precision: str | None = None,
    calibrate: str | os.PathLike | None = None,
    threads: int | None = None,
) -> Any:
    """The ``top_k`` classes (default 5) with softmax probabilities, best first.

    Args:
        model: a zoo name (default ``mobilenet_v2.imagenet``), an exported ``.onnx`` file or a
            training run folder.
        backend: ``"onnx"`` (ONNX Runtime, default) or ``"torch"``.
        precision: ``"fp32"`` (default) or ``"int8"`` (static quantisation, about 1.9x faster,
            cached under ``$FOVEAL_HOME/int8``; see ``docs/speed.md``).
        calibrate: the folder of images int8 calibrates on (default: a few sample photos).

    >>> foveal.classify("coffee.png", top_k=1).names
    ['espresso']
    """
    return run(
        "classify",
        source,
        stream=stream,
        model=_model(model),
        backend=backend,
        top_k=top_k,
        precision=precision,
        calibrate=_model(calibrate),
        threads=threads,
    )


def embed(
    source: Sources,
    *,
    model: str | os.PathLike | None = None,
    normalize: bool = True,
    backend: str | None = None,
    threads: int | None = None,
) -> np.ndarray:
    """A learned feature vector per image (pooled CNN features, L2-normalised by default):
    ``(D,)`` for one image, ``(N, D)`` for many.

    >>> v = foveal.embed("cat.jpg"); w = foveal.embed("coffee.png")
    >>> v.shape, round(float(v @ w), 1)   # cosine similarity
    ((1280,), 0.4)
    """
    clf = get_task("classify").load(model=_model(model), backend=backend, threads=threads)
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
    precision: str | None = None,
    calibrate: str | os.PathLike | None = None,
    threads: int | None = None,
) -> Any:
    """Objects: boxes (``xyxy`` pixels), scores, class ids and names, best first.

    Args:
        model: a zoo name (default ``yolox_nano.coco``), a foveal detection ``.onnx`` file or a
            ``foveal train detect`` run folder.
        conf: minimum score (default 0.25); iou: NMS overlap threshold (default 0.45).
        classes: keep only these class names (e.g. ``["person", "car"]``); unknown names are
            an error.
        precision: ``"fp32"`` (default) or ``"int8"`` (static quantisation calibrated on the
            folder ``calibrate``; a 4x smaller network, mAP kept, but YOLOX-Nano runs slower in
            int8 on a CPU: ``docs/speed.md``).

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
        precision=precision,
        calibrate=_model(calibrate),
        threads=threads,
    )


def detect_faces(
    source: Sources,
    *,
    model: str | None = None,
    conf: float | None = None,
    stream: bool = False,
    threads: int | None = None,
) -> Any:
    """Faces with boxes, scores and 5 landmarks (eyes, nose tip, mouth corners), best first.

    Args:
        model: ``"yunet.2023mar"`` (default, fast) or ``"centerface.wider"``.
        conf: minimum face score in [0, 1] (default: the detector's, 0.8 YuNet, 0.6 CenterFace).

    >>> faces = foveal.detect_faces("astronaut.jpg")
    >>> faces.xyxy.shape, faces.landmarks.shape
    ((1, 4), (1, 5, 2))
    """
    return run("faces", source, stream=stream, model=model, conf=conf, threads=threads)


def identify(
    source: Sources,
    *,
    gallery: str | os.PathLike | None = None,
    threshold: float | None = None,
    detector: str | None = None,
    embedder: str | None = None,
    stream: bool = False,
    precision: str | None = None,
    calibrate: str | os.PathLike | None = None,
    threads: int | None = None,
) -> Any:
    """Find every face and name it from a gallery of enrolled people (``"unknown"`` when nobody
    is closer than ``threshold``; default: the embedder's, 0.6 Euclidean for dlib's ResNet).

    Args:
        gallery: the gallery database (default ``faces.db`` in the user-data folder, see
            ``docs/install.md``), filled with ``foveal faces enroll NAME PHOTOS...``.
        precision: ``"int8"`` runs the face embedder quantised, calibrated on the faces of the
            photos in ``calibrate`` (same decisions as fp32 on the shared people, 1.37x faster
            embeddings; ``docs/speed.md``).

    >>> foveal.identify("astronaut.jpg", gallery="people.db").names   # nobody enrolled yet
    ['unknown']
    >>> from foveal.gallery import Gallery
    >>> from foveal.io import load_image
    >>> from foveal.tasks.faces import FaceRecognizer
    >>> from foveal.tasks.faces.identify import enroll_images
    >>> with Gallery("people.db") as g:
    ...     enroll_images(g, FaceRecognizer(), "eileen", ["astronaut.jpg"]).faces
    1
    >>> mirrored = np.ascontiguousarray(load_image("astronaut.jpg")[:, ::-1])
    >>> faces = foveal.identify(mirrored, gallery="people.db").to_dict()["faces"]
    >>> [(f["name"], round(f["distance"], 1)) for f in faces]      # mirrored: near, not 0
    [('eileen', 0.2)]
    """
    return run(
        "identify",
        source,
        stream=stream,
        gallery=None if gallery is None else os.path.abspath(gallery),
        threshold=threshold,
        detector=detector,
        embedder=embedder,
        precision=precision,
        calibrate=_model(calibrate),
        threads=threads,
    )


def read_text(
    source: Sources,
    *,
    model: str | os.PathLike | None = None,
    layout: str = "auto",
    stream: bool = False,
    precision: str | None = None,
    calibrate: str | os.PathLike | None = None,
    blocks: bool = False,
    threads: int | None = None,
) -> Any:
    """Read the text: lines in reading order, with polygons, confidences and paragraphs.

    Args:
        source: an image, or many (a PDF gives one result per page).
        model: the recognizer: ``None`` for PP-OCRv6 small (with its detector and direction
            classifier), or a zoo name / ``.onnx`` file / training run folder of a CTC recognizer.
        layout: reading order: ``"auto"`` (columns, rows inside them), ``"columns"``, ``"rows"``
            (forms, receipts, tables: a row's pieces joined left to right) or ``"none"``.
        precision: ``"fp32"`` (default) or ``"int8"`` (detector and recognizer quantised,
            1.2-1.5x faster end to end, cached under ``$FOVEAL_HOME/int8``; see ``docs/speed.md``).
        calibrate: the folder of pages int8 calibrates on (default: scikit-image's page.png
            and text.png).
        blocks: also find the layout blocks (text, title, figure, table, header, footer ...)
            with ``ppocr_layout.cdla``: they steer the reading order (``auto``, ``columns``) and
            come back as ``block_types`` / ``block_polygons`` / ``block_ids``.

    Pages turned by 90, 180 or 270 degrees are read upright (polygons stay in the input's pixels).

    >>> print(foveal.read_text("page.png").text)
    foveal reads text offline
    Invoice 2026-041: 3 boxes of apples
    Total due: 128.50 EUR
    >>> lines = foveal.read_text("page.png", blocks=True)   # + layout blocks, in reading order
    >>> lines.block_types, lines.block_ids.tolist()
    (['title', 'title'], [0, 1, -1])
    """
    return run(
        "ocr",
        source,
        stream=stream,
        model=_model(model),
        layout=layout,
        precision=precision,
        calibrate=_model(calibrate),
        blocks="ppocr_layout.cdla" if blocks else None,
        threads=threads,
    )


def track(
    video: str | os.PathLike | list[str | os.PathLike],
    *,
    model: str | os.PathLike | None = None,
    classes: str | list[str] | None = None,
    conf: float | None = None,
    stride: int = 1,
    fps: float | None = None,
    backend: str | None = None,
    precision: str | None = None,
    calibrate: str | os.PathLike | None = None,
    threads: int | None = None,
    **track_options: Any,
) -> Any:
    """Detect and track objects in videos: yields one :class:`~foveal.results.Tracks` per
    processed frame (boxes, scores, classes and track IDs that last across frames).

    Args:
        video: a video file, or many (list, folder, glob); a folder of images is one sequence.
        model: any detector (default ``yolox_nano.coco``), as for :func:`detect`.
        classes: keep only these class names; conf: minimum detection score (default: the
            tracker's ``low_conf``, 0.1, as ByteTrack uses low-score boxes).
        stride: process every ``stride``-th frame, or ``fps``: a target frame rate.
        precision, calibrate: the detector's int8, as for :func:`detect`.
        track_options: :class:`foveal.tracking.TrackOptions` fields (``max_age``, ``min_hits``,
            ``high_conf`` ...).

    For example (``clip.mp4``: any video)::

        for tracks in foveal.track("clip.mp4", classes="person"):
            print(tracks.index, tracks.track_ids.tolist())  # frame number, IDs in view
    """
    from foveal.tracking import TrackOptions
    from foveal.tracking.run import iter_tracks

    options = TrackOptions(**track_options)
    detector = get_task("detect").load(
        model=_model(model),
        backend=backend,
        precision=precision,
        calibrate=_model(calibrate),
        threads=threads,
    )
    frames = iter_tracks(
        detector, video, options=options, stride=stride, fps=fps, classes=classes, conf=conf
    )
    return (tracks for _, tracks in frames)


def landmarks(
    source: Sources,
    *,
    parts: str | list[str] | tuple[str, ...] = ("hands", "pose", "face"),
    min_detection: float | None = None,
    min_presence: float | None = None,
    max_hands: int | None = None,
    max_faces: int | None = None,
    track: bool = True,
    stream: bool = False,
) -> Any:
    """Hand (21 points, handedness), body-pose (33) and face-mesh (468) landmarks, with
    MediaPipe's networks: x, y in pixels and a relative depth z per point.

    Args:
        parts: which of ``hands``, ``pose``, ``face`` to find (a list or ``"hands,face"``).
        min_detection, min_presence: detector and landmark-network score thresholds (0.5).
        max_hands, max_faces: at most this many (2 hands, 1 face; pose finds one person).
        track: a video path gives its frames' landmarks followed from frame to frame, as
            MediaPipe does (``False``: every frame on its own).

    Nobody in the image is an empty result, not an error.

    >>> lm = foveal.landmarks("astronaut.jpg", parts=["face", "pose"])
    >>> lm.faces.shape, lm.poses.shape, lm.hands.shape
    ((1, 468, 3), (1, 33, 3), (0, 21, 3))
    >>> len(foveal.landmarks("coffee.png"))
    0
    """
    from foveal.io import is_video_file
    from foveal.tasks.landmarks.predict import parse_parts, track_video

    options = {
        "parts": parse_parts(parts),
        "min_detection": min_detection,
        "min_presence": min_presence,
        "max_hands": max_hands,
        "max_faces": max_faces,
    }
    if track and isinstance(source, (str, os.PathLike)) and is_video_file(source):
        predictor = get_task("landmarks").load()
        frames = track_video(
            predictor, source, **{k: v for k, v in options.items() if v is not None}
        )
        return frames if stream else list(frames)
    return run("landmarks", source, stream=stream, **options)


def classify_sequences(
    data: str | os.PathLike | np.ndarray,
    *,
    model: str | os.PathLike,
    step_dims: int | None = None,
) -> Any:
    """Classify sequences with a model from ``foveal train sequence``: a ``(N, T, D)`` array, or a
    CSV of rows (``label, v1, ...`` or ``v1, ...``; bad rows are left out, see
    :class:`~foveal.tasks.sequence.predict.SequenceModel` for their report). Returns
    :class:`~foveal.results.SequencePredictions` (``class_ids``, ``labels``, ``scores``, ``probs``).

    With a run of ``foveal train sequence``::

        preds = foveal.classify_sequences("rows.csv", model="runs/sequence/1")
        preds.rows()[0]   # {'source': 'rows.csv:1', 'class_id': 0, 'label': 'Stop', 'score': 0.99}
    """
    from foveal.tasks.sequence.predict import SequenceModel, check_step_dims

    seq = SequenceModel(model)
    check_step_dims(seq, step_dims)
    if isinstance(data, np.ndarray):
        return seq.predict(data, [f"sequence {i}" for i in range(len(data))])
    return seq.predict_csv(data)[0]


def restore(
    source: Sources,
    *,
    model: str | os.PathLike | None = None,
    tile: int | None = None,
    stream: bool = False,
    threads: int | None = None,
) -> Any:
    """Restore images: foveal's shipped colour denoiser by default (Gaussian noise, sigma about
    10-40 on the 0-255 scale), or a ``foveal train restore`` run folder / ``.onnx`` file.
    Large images run in tiles of ``tile`` pixels (default 512), so memory stays bounded.

    >>> r = foveal.restore("astronaut.jpg")
    >>> r.image.shape, r.to_dict()["width"]
    ((512, 512, 3), 512)
    """
    return run("restore", source, stream=stream, model=_model(model), tile=tile, threads=threads)


def segment(
    source: Sources,
    *,
    model: str | os.PathLike | None = None,
    tile: int | None = None,
    overlap: int | None = None,
    probabilities: bool | None = None,
    tta: bool | None = None,
    stream: bool = False,
    threads: int | None = None,
) -> Any:
    """A class for every pixel (:class:`foveal.results.Segmentation`): person vs background with
    MediaPipe's selfie model (the default), or your classes with a U-Net trained by
    ``foveal train segment`` (any image size, in overlapping ``tile`` windows).

    Args:
        model: ``None`` for ``selfie.mediapipe``, or a training run folder (or its ONNX file).
        tile, overlap: sliding-window size and overlap in pixels (default 512 and 64).
        probabilities: also keep the per-class probabilities.
        tta: U-Nets: average each window's 8 flips and 90-degree turns (default ``False``;
            ``True`` costs 8x the time).

    >>> foveal.segment("astronaut.jpg").labels
    ['background', 'person']

    With a U-Net trained on 0/255 masks (``foveal train segment``), the classes are named after
    the mask values and :meth:`~foveal.results.Segmentation.to_mask` gives a mask like them::

        seg = foveal.segment("slice.png", model="runs/segment/1")
        seg.labels             # ['class_0', 'class_255']
        seg.to_mask().max()    # 255
    """
    return run(
        "segment",
        source,
        stream=stream,
        model=_model(model),
        tile=tile,
        overlap=overlap,
        probabilities=probabilities,
        tta=tta,
        threads=threads,
    )
