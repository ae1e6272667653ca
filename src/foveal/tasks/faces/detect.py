"""Face detection with 5 landmarks: YuNet and CenterFace through ONNX Runtime, foveal's own
pre- and post-processing, any input size.

>>> from foveal.tasks.faces import FaceDetector
>>> det = FaceDetector("yunet.2023mar")                       # doctest: +SKIP
>>> faces = det.detect("group.jpg")                           # doctest: +SKIP
>>> faces.xyxy.shape, faces.landmarks.shape                   # doctest: +SKIP
((3, 4), (3, 5, 2))

Both models return boxes in original-image pixels and landmarks in the order of
:class:`foveal.results.Faces` (right eye, left eye, nose tip, right and left mouth corner, the
subject's right being on the image's left).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from foveal.errors import ConfigError
from foveal.io import ImageSource, load_image
from foveal.results import Faces
from foveal.tasks.faces.nms import nms
from foveal.zoo import ModelSpec, get
from foveal.zoo.resolve import foveal_home, resolve_weights

DEFAULT_DETECTOR = "yunet.2023mar"


class FaceDetector:
    """A face detector from the zoo (``yunet.2023mar`` or ``centerface.wider``).

    Args:
        model: zoo name of a ``face_detect`` model.
        conf: minimum face score (0..1).
        nms_iou: IoU above which a lower-scored overlapping face is dropped.
        max_side: CenterFace only: the longer image side is scaled to at most this many pixels
            (YuNet's network is fixed at 640x640; images are letterboxed into it).
        min_size: faces whose box is smaller than this (pixels, shorter side) are dropped.
        weights: an explicit weights file instead of the zoo's.
        threads: ONNX Runtime intra-op threads.
    """

    def __init__(
        self,
        model: str = DEFAULT_DETECTOR,
        *,
        conf: float = 0.6,
        nms_iou: float = 0.3,
        max_side: int = 960,
        min_size: float = 0.0,
        weights: str | os.PathLike | None = None,
        threads: int | None = None,
    ) -> None:
        from foveal.runtime import OnnxModel

        spec = get(model)
        if spec.task != "face_detect":
            raise ConfigError(f"{spec.name} is a {spec.task} model; expected a face_detect model "
                              "(yunet.2023mar or centerface.wider)")
        if not 0.0 <= conf <= 1.0:
            raise ConfigError(f"conf must be in [0, 1], got {conf}")
        if not 0.0 < nms_iou <= 1.0:
            raise ConfigError(f"nms_iou must be in (0, 1], got {nms_iou}")
        if max_side < 32:
            raise ConfigError(f"max_side must be at least 32, got {max_side}")
        self.spec: ModelSpec = spec
        self.conf = float(conf)
        self.nms_iou = float(nms_iou)
        self.max_side = int(max_side)
        self.min_size = float(min_size)
        self.decoder = spec.extra.get("decoder")
        path = resolve_weights(spec, weights)
        if self.decoder == "centerface":
            path = _dynamic_centerface(path)
        elif self.decoder != "yunet":
            raise ConfigError(f"{spec.name}: unknown face decoder {self.decoder!r}")
        self.model = OnnxModel(path, threads=threads)

    @property
    def name(self) -> str:
        return self.spec.name

    def detect(self, image: ImageSource) -> Faces:
        """Faces in one image (RGB array, path, bytes or PIL image), best score first."""
        img = load_image(image)
        if self.decoder == "yunet":
            boxes, scores, lms = self._yunet(img)
        else:
            boxes, scores, lms = self._centerface(img)
        h, w = img.shape[:2]
        if len(boxes):
            keep = nms(boxes, scores, self.nms_iou)
            boxes, scores, lms = boxes[keep], scores[keep], lms[keep]
            boxes[:, 0::2] = boxes[:, 0::2].clip(0, w)
            boxes[:, 1::2] = boxes[:, 1::2].clip(0, h)
            if self.min_size > 0:
                side = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
                ok = side >= self.min_size
                boxes, scores, lms = boxes[ok], scores[ok], lms[ok]
        if not len(boxes):
            return Faces.empty(model=self.name)
        return Faces(xyxy=boxes, scores=scores, landmarks=lms, model=self.name)

    __call__ = detect

    # -- YuNet: fixed 640x640 network, letterbox to the top-left, BGR 0..255 ----------------------
    def _yunet(self, img: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        th, tw = self.spec.preprocess.input_size
        h, w = img.shape[:2]
        scale = min(tw / w, th / h)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        canvas = np.zeros((th, tw, 3), np.uint8)
        canvas[:nh, :nw] = cv2.resize(img, (nw, nh), interpolation=interp)
        blob = canvas[..., ::-1].transpose(2, 0, 1)[None].astype(np.float32)
        outs = dict(zip(self.model.output_names, self.model.run(blob), strict=True))
        boxes, scores, lms = [], [], []
        for s in (8, 16, 32):
            cols, rows = tw // s, th // s
            cls = outs[f"cls_{s}"].reshape(-1)
            obj = outs[f"obj_{s}"].reshape(-1)
            score = np.sqrt(np.clip(cls, 0, 1) * np.clip(obj, 0, 1))
            idx = np.flatnonzero(score >= self.conf)
            if not idx.size:
                continue
            bb = outs[f"bbox_{s}"].reshape(-1, 4)[idx]
            kp = outs[f"kps_{s}"].reshape(-1, 5, 2)[idx]
            col = (idx % cols).astype(np.float32)
            row = (idx // cols).astype(np.float32)
            del rows
            cx, cy = (col + bb[:, 0]) * s, (row + bb[:, 1]) * s
            bw, bh = np.exp(bb[:, 2]) * s, np.exp(bb[:, 3]) * s
            boxes.append(np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1))
            pts = np.empty_like(kp)
            pts[..., 0] = (kp[..., 0] + col[:, None]) * s
            pts[..., 1] = (kp[..., 1] + row[:, None]) * s
            lms.append(pts)
            scores.append(score[idx])
        if not boxes:
            return _none()
        return (
            np.concatenate(boxes).astype(np.float32) / scale,
            np.concatenate(scores).astype(np.float32),
            np.concatenate(lms).astype(np.float32) / scale,
        )

    # -- CenterFace: fully convolutional, sides padded to multiples of 32, RGB 0..255 -------------
    def _centerface(self, img: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        h, w = img.shape[:2]
        scale = min(1.0, self.max_side / max(h, w))
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        pw, ph = -(-nw // 32) * 32, -(-nh // 32) * 32
        canvas = np.zeros((ph, pw, 3), np.uint8)
        canvas[:nh, :nw] = img if scale == 1.0 else cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
        blob = canvas.transpose(2, 0, 1)[None].astype(np.float32)
        heat, sc, off, lm = self.model.run(blob)
        heat = heat[0, 0]
        r, c = np.nonzero(heat >= self.conf)
        if not r.size:
            return _none()
        score = heat[r, c]
        bh = np.exp(sc[0, 0, r, c]) * 4
        bw = np.exp(sc[0, 1, r, c]) * 4
        y1 = (r + off[0, 0, r, c] + 0.5) * 4 - bh / 2
        x1 = (c + off[0, 1, r, c] + 0.5) * 4 - bw / 2
        boxes = np.stack([x1, y1, x1 + bw, y1 + bh], 1)
        pts = np.empty((r.size, 5, 2), np.float32)
        for j in range(5):
            pts[:, j, 0] = lm[0, 2 * j + 1, r, c] * bw + x1
            pts[:, j, 1] = lm[0, 2 * j, r, c] * bh + y1
        return (boxes / scale).astype(np.float32), score.astype(np.float32), pts / scale


def _none() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros((0, 5, 2), np.float32)


def _dynamic_centerface(path: Path) -> Path:
    """CenterFace's ONNX file declares a fixed 32x32 input although the network is fully
    convolutional; write (once, atomically) a copy whose input and output sizes are symbolic."""
    digest = hashlib.sha256(f"{path.resolve()}:{path.stat().st_size}:{path.stat().st_mtime_ns}".encode())
    out = foveal_home() / "derived" / f"centerface-dynamic-{digest.hexdigest()[:16]}.onnx"
    if out.is_file():
        return out
    import onnx
    from onnx.tools.update_model_dims import update_inputs_outputs_dims

    model = onnx.load(str(path))
    # Weights listed as graph inputs (an old exporter's habit) block constant folding: drop them.
    inits = {i.name for i in model.graph.initializer}
    for inp in [i for i in model.graph.input if i.name in inits]:
        model.graph.input.remove(inp)
    ins = {i.name: ["B", 3, "H", "W"] for i in model.graph.input[:1]}
    outs: dict[str, Any] = {}
    for o, ch in zip(model.graph.output, (1, 2, 2, 10), strict=True):
        outs[o.name] = ["B", ch, "h", "w"]
    model = update_inputs_outputs_dims(model, ins, outs)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".centerface.", suffix=".part", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(model.SerializeToString())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
