"""The face predictors: :class:`FaceDetector` (task ``faces``), :class:`FaceRecognizer` (detector +
embedder) and :class:`FaceIdentifier` (task ``identify``: recogniser + gallery). All three take
every source and thresholds as call options, and one instance serves many threads.

>>> from foveal.tasks import TASKS
>>> det = TASKS["faces"].load()
>>> det("astronaut.jpg", conf=0.5).xyxy.shape
(1, 4)
>>> [len(f) for f in det(["astronaut.jpg", "cat.jpg", "coffee.png"])]
[1, 0, 0]

Boxes are in original-image pixels and landmarks in the order of :class:`foveal.results.Faces`.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np

from foveal.errors import ConfigError, FovealError, ModelFileError
from foveal.gallery import Gallery
from foveal.io import ImageSource, describe_source
from foveal.ops import nms, to_tensor
from foveal.results import Faces
from foveal.runtime.quantize import cached_int8, check_precision
from foveal.tasks.faces.decode import decode_centerface, decode_yunet
from foveal.tasks.faces.embed import DEFAULT_EMBEDDER, Embedder, OnnxEmbedder, load_embedder
from foveal.tasks.faces.export import face_detector_onnx
from foveal.tasks.predictor import NetworkPredictor, Predictor

DEFAULT_DETECTOR = "yunet.2023mar"


@dataclass(frozen=True)
class FaceOptions:
    """Call options of :class:`FaceDetector`.

    Attributes:
        conf: minimum face score (0..1); default: the detector's own, chosen from measured
            precision and recall (0.8 for YuNet, 0.6 for CenterFace; docs/faces.md).
        nms_iou: IoU above which a lower-scored overlapping face is dropped.
        min_size: faces whose box is smaller than this (pixels, shorter side) are dropped.
    """

    conf: float | None = None
    nms_iou: float = 0.3
    min_size: float = 0.0


@dataclass(frozen=True)
class DetectorParams:
    """The ``face_detect`` parameters of a model's metadata."""

    decoder: str = ""
    conf: float = 0.6


class FaceDetector(NetworkPredictor[Faces]):
    """A face detector with 5 landmarks (``yunet.2023mar`` or ``centerface.wider``).

    Args:
        model: zoo name of a ``face_detect`` model.
        max_side: CenterFace only: the longer image side is scaled to at most this many pixels
            (YuNet's network is fixed at 640x640; images are letterboxed into it).
        weights: an explicit weights file instead of the zoo's.
        threads: ONNX Runtime intra-op threads.
    """

    task = "faces"
    model_tasks = frozenset({"face_detect"})
    default_model = DEFAULT_DETECTOR
    Options = FaceOptions
    onnx_file = staticmethod(face_detector_onnx)

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        *,
        max_side: int = 960,
        weights: str | os.PathLike | None = None,
        threads: int | None = None,
    ) -> None:
        if max_side < 32:
            raise ConfigError(f"max_side must be at least 32, got {max_side}")
        super().__init__(model, weights=weights, threads=threads)
        params = self.meta.params_as(DetectorParams)
        self.decoder = params.decoder
        if self.decoder not in ("yunet", "centerface"):
            raise ModelFileError(f"{self.name}: unknown face decoder {self.decoder!r}")
        if not 0.0 <= float(params.conf) <= 1.0:
            raise ModelFileError(
                f"{self.name}: default conf {params.conf!r} in its metadata is not in [0, 1]"
            )
        self.default_conf = float(params.conf)
        self.max_side = int(max_side)
        self.input_size = self.meta.preprocess.input_size
        self.output_names = self.model.runner.output_names

    def check_options(self, options: FaceOptions) -> FaceOptions:
        if options.conf is None:
            options = replace(options, conf=self.default_conf)
        if not 0.0 <= options.conf <= 1.0:
            raise ConfigError(f"conf must be in [0, 1], got {options.conf}")
        if not 0.0 < options.nms_iou <= 1.0:
            raise ConfigError(f"nms_iou must be in (0, 1], got {options.nms_iou}")
        return options

    def preprocess(self, image: np.ndarray) -> tuple[np.ndarray, tuple[float, int, int]]:
        h, w = image.shape[:2]
        if self.decoder == "yunet":  # fixed network size, letterboxed to the top-left, BGR 0..255
            th, tw = self.input_size
            scale = min(tw / w, th / h)
            nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
            interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
            canvas = np.zeros((th, tw, 3), np.uint8)
            canvas[:nh, :nw] = cv2.resize(image, (nw, nh), interpolation=interp)
            return to_tensor(canvas, gain=1.0, offset=0.0, reverse=True), (scale, h, w)
        # CenterFace: fully convolutional, sides padded to multiples of 32, RGB 0..255
        scale = min(1.0, self.max_side / max(h, w))
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        pw, ph = -(-nw // 32) * 32, -(-nh // 32) * 32
        canvas = np.zeros((ph, pw, 3), np.uint8)
        canvas[:nh, :nw] = (
            image if scale == 1.0 else cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
        )
        return to_tensor(canvas, gain=1.0, offset=0.0), (scale, h, w)

    def postprocess(
        self, outputs: list[np.ndarray], context: tuple[float, int, int], options: FaceOptions
    ) -> Faces:
        scale, h, w = context
        conf = self.default_conf if options.conf is None else options.conf
        if self.decoder == "yunet":
            outs = dict(zip(self.output_names, outputs, strict=True))
            boxes, scores, lms = decode_yunet(outs, conf, self.input_size)
        else:
            boxes, scores, lms = decode_centerface(*outputs, conf)
        boxes, lms = (boxes / scale).astype(np.float32), lms / scale
        if len(boxes):
            keep = nms(boxes, scores, options.nms_iou)
            boxes, scores, lms = boxes[keep], scores[keep], lms[keep]
            boxes[:, 0::2] = boxes[:, 0::2].clip(0, w)
            boxes[:, 1::2] = boxes[:, 1::2].clip(0, h)
            if options.min_size > 0:
                side = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
                ok = side >= options.min_size
                boxes, scores, lms = boxes[ok], scores[ok], lms[ok]
        if not len(boxes):
            return Faces.empty(model=self.name)
        return Faces(xyxy=boxes, scores=scores, landmarks=lms, model=self.name)


class NoFaceError(FovealError, ValueError):
    """An image that had to contain a face has none."""


class ManyFacesError(FovealError, ValueError):
    """An image that had to contain one face has several, and no choice was made."""


@dataclass(frozen=True)
class RecognizeOptions:
    """Call options of :class:`FaceRecognizer`.

    Attributes:
        conf: face detection score threshold (default: the detector's).
        min_face: faces smaller than this (pixels, shorter box side) are not embedded: a
            descriptor of a 10-pixel face is noise. 0 keeps every face.
    """

    conf: float | None = None
    min_face: float = 20.0


class FaceRecognizer(Predictor[Faces]):
    """A face detector and an embedder working together: faces with ``embeddings`` filled.

    Args:
        detector: a :class:`FaceDetector` or a zoo name (``yunet.2023mar``, ``centerface.wider``).
        embedder: an :class:`~foveal.tasks.faces.embed.Embedder`, or a zoo name / foveal
            ``face_embed`` ``.onnx`` file / run folder.
        threads: ONNX Runtime threads of the networks opened here from names (default:
            ``FOVEAL_THREADS``, else from the machine's load).
        precision: ``"fp32"`` or ``"int8"``: the embedder's static QDQ quantisation, calibrated
            on the faces this detector finds in ``calibrate`` (a folder of photos; default: the
            sample photos), cached under ``$FOVEAL_HOME/int8`` (docs/speed.md).
    """

    task = "faces"
    Options = RecognizeOptions

    def __init__(
        self,
        detector: FaceDetector | str = DEFAULT_DETECTOR,
        embedder: Embedder | str | os.PathLike = DEFAULT_EMBEDDER,
        *,
        threads: int | None = None,
        precision: str = "fp32",
        calibrate: str | os.PathLike | None = None,
    ) -> None:
        check_precision(precision, calibrate)
        self.detector = (
            detector
            if isinstance(detector, FaceDetector)
            else FaceDetector(detector, threads=threads)
        )
        self.embedder: Embedder = (
            embedder if isinstance(embedder, Embedder) else load_embedder(embedder, threads=threads)  # type: ignore[arg-type]
        )
        self.name = self.detector.name
        if check_precision(precision, calibrate) == "int8":
            self.embedder = self.int8_embedder(calibrate)

    def int8_embedder(self, calibrate: str | os.PathLike | None) -> Embedder:
        """A copy of the embedder running its int8 file (the given embedder is left as it is)."""
        from foveal.runtime import OnnxModel

        embedder = self.embedder
        if not isinstance(embedder, OnnxEmbedder) or embedder.path is None:
            raise ConfigError(
                f"precision='int8' needs an ONNX face embedder; {type(embedder).__name__} runs "
                "without ONNX Runtime"
            )

        def chips(image: np.ndarray) -> np.ndarray:
            found = embedder.chips(image, self.detector.predict(image))
            return embedder.chip_tensors(found) if found else np.zeros((0, 3, 1, 1), np.float32)

        path = cached_int8(embedder.path, chips, calibrate)
        plan = embedder.runner.plan
        quantised = copy.copy(embedder)
        quantised.runner = OnnxModel(path, plan=plan)
        quantised.path = path
        return quantised

    def check_options(self, options: RecognizeOptions) -> RecognizeOptions:
        conf = self.detector.options(conf=options.conf).conf
        if options.min_face < 0:
            raise ConfigError(f"min_face must be >= 0, got {options.min_face}")
        return replace(options, conf=conf)

    def prepare(self, image: np.ndarray) -> tuple[np.ndarray, Any]:
        return image, self.detector.prepare(image)

    def run(self, prepared: list[tuple[np.ndarray, Any]], options: RecognizeOptions) -> list[Faces]:
        det_options = self.detector.options(conf=options.conf)
        found = self.detector.run([p for _, p in prepared], det_options)
        out = []
        for (image, _), faces in zip(prepared, found, strict=True):
            if options.min_face and len(faces):
                xyxy = faces.xyxy
                side = np.minimum(xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1])
                faces = faces[side >= options.min_face]
            out.append(replace(faces, embeddings=self.embedder.embed(image, faces)))
        return out

    def embed_one(
        self, image: ImageSource, *, choose: str | int | None = None, **options: Any
    ) -> tuple[Faces, np.ndarray]:
        """The single face of an image (for enrolment / verification) and its embedding.

        Faces are numbered as :meth:`predict` and identification list them, best score first:
        face #1 is ``choose=0``.

        Args:
            choose: ``None`` (exactly one face required), ``"largest"`` (the biggest box) or an
                index into the faces, best score first (0 for face #1).
            options: call options (``conf``, ``min_face``).

        Raises:
            NoFaceError: no face found.
            ManyFacesError: several faces and no ``choose``.
        """
        opts = self.options(**options)
        name = describe_source(image)
        faces = self.predict(image, **options)
        if not len(faces):
            raise NoFaceError(
                f"{name}: no face found (detector {self.detector.name}, conf {opts.conf}, "
                f"faces of at least {opts.min_face:g} px); use a photo where the face is visible "
                "and not tiny, or lower the confidence"
            )
        if choose is None:
            if len(faces) > 1:
                raise ManyFacesError(
                    f"{name}: {len(faces)} faces found ({face_list(faces)}); expected one. "
                    "Choose with --largest (the biggest face) or --index N (face #N)"
                )
            idx = 0
        elif choose == "largest":
            area = (faces.xyxy[:, 2] - faces.xyxy[:, 0]) * (faces.xyxy[:, 3] - faces.xyxy[:, 1])
            idx = int(np.argmax(area))
        else:
            idx = int(choose)
            if not 0 <= idx < len(faces):
                raise ConfigError(
                    f"{name}: there is no face #{idx + 1}; the image has {len(faces)} face(s) "
                    f"({face_list(faces)})"
                )
        one = faces[idx]
        assert one.embeddings is not None
        return one, one.embeddings[0]


def face_list(faces: Faces) -> str:
    """``#1 [x1, y1, x2, y2] 0.94, #2 ...``: faces numbered from 1 in their order (best score
    first), as enrolment errors and ``foveal faces identify`` show them."""
    return ", ".join(
        f"#{i} {[round(float(v)) for v in b]} {float(s):.2f}"
        for i, (b, s) in enumerate(zip(faces.xyxy, faces.scores, strict=True), 1)
    )


def match_threshold(embedder: Embedder, threshold: float | None) -> float:
    """``threshold``, or the embedder's when ``None``; it must be a positive distance."""
    t = embedder.threshold if threshold is None else float(threshold)
    if not np.isfinite(t) or t <= 0:
        raise ConfigError(f"threshold must be a positive distance, got {threshold}")
    return t


def name_faces(faces: Faces, gallery: Gallery, embedder: Embedder, threshold: float) -> Faces:
    """``faces`` (with embeddings) with ``names`` (or ``"unknown"``) and ``distances`` filled."""
    assert faces.embeddings is not None
    names, dists = gallery.match(
        faces.embeddings, threshold=threshold, embedder=embedder.name, metric=embedder.metric
    )
    return replace(faces, names=names, distances=dists)


@dataclass(frozen=True)
class IdentifyOptions:
    """Call options of :class:`FaceIdentifier`.

    Attributes:
        threshold: match distance (default: the embedder's, 0.6 Euclidean for dlib's ResNet).
        conf: face detection score threshold (default: the detector's).
    """

    threshold: float | None = None
    conf: float | None = None


class FaceIdentifier(Predictor[Faces]):
    """Every face named from a gallery of enrolled people (``"unknown"`` when nobody is closer
    than the threshold). Enrolments made after it was created, by any process, are seen.

    Args:
        gallery: a :class:`~foveal.gallery.Gallery` or its database file (default
            ``faces.db`` in the user-data folder, see ``docs/install.md``).
        detector: a face detector zoo name (default ``yunet.2023mar``).
        embedder: a face embedder (default ``dlib_resnet.v1``).
        threads: ONNX Runtime threads of the detector and the embedder.
        precision: ``"fp32"`` or ``"int8"``: the embedder's static quantisation (see
            :class:`FaceRecognizer`), calibrated on the faces found in ``calibrate``.
    """

    task = "identify"
    Options = IdentifyOptions

    def __init__(
        self,
        gallery: Gallery | str | os.PathLike | None = None,
        *,
        detector: FaceDetector | str | None = None,
        embedder: Embedder | str | os.PathLike | None = None,
        threads: int | None = None,
        precision: str = "fp32",
        calibrate: str | os.PathLike | None = None,
    ) -> None:
        self.recognizer = FaceRecognizer(
            detector if detector is not None else DEFAULT_DETECTOR,
            embedder if embedder is not None else DEFAULT_EMBEDDER,
            threads=threads,
            precision=precision,
            calibrate=calibrate,
        )
        self.gallery = gallery if isinstance(gallery, Gallery) else Gallery(gallery)
        self.name = self.recognizer.name

    def check_options(self, options: IdentifyOptions) -> IdentifyOptions:
        match_threshold(self.recognizer.embedder, options.threshold)
        return replace(options, conf=self.recognizer.options(conf=options.conf).conf)

    def prepare(self, image: np.ndarray) -> Any:
        return self.recognizer.prepare(image)

    def run(self, prepared: list[Any], options: IdentifyOptions) -> list[Faces]:
        embedder = self.recognizer.embedder
        t = match_threshold(embedder, options.threshold)
        found = self.recognizer.run(prepared, self.recognizer.options(conf=options.conf))
        return [name_faces(f, self.gallery, embedder, t) for f in found]
