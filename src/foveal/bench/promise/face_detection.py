"""Face detection in the promise benchmark: OpenCV's Haar cascade and dlib's HOG detector vs the
CNN detectors, F1 at an IoU threshold on the dlib-annotated photos in ``faces/detection``."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from foveal.bench.promise.core import Row, Settings, fmt_row, has_zoo

Detect = Callable[[np.ndarray], np.ndarray]


def cnn_face_detector(model: str | None) -> Detect:
    """``image -> (N, 4) xyxy`` with :func:`foveal.api.detect_faces` (default model if None)."""
    import foveal.api as api

    kwargs = {"model": model} if model else {}
    return lambda img: np.asarray(api.detect_faces(img, **kwargs).xyxy, np.float32).reshape(-1, 4)


def run_face_detection(cfg: Settings, iou: float = 0.4) -> list[Row]:
    """Precision, recall and F1 of every face detector on the annotated photos."""
    from foveal.bench.data import read_dlib_boxes
    from foveal.classic.faces import DlibHogFaceDetector, HaarFaceDetector, match_boxes
    from foveal.io import load_image

    root = cfg.shared / "data" / "faces" / "detection"
    truth = read_dlib_boxes(root / "training.xml")
    images = {f: load_image(root / f) for f in sorted(truth)}
    n_true = sum(len(b) for b in truth.values())
    cfg.log(f"face detection: {len(images)} photos, {n_true} faces (IoU >= {iou})")

    methods: list[tuple[str, str, Callable[[], Detect]]] = [
        ("Haar cascade (OpenCV)", "classical", HaarFaceDetector),
        ("dlib HOG + SVM", "classical", DlibHogFaceDetector),
        ("CNN detector (foveal default)", "deep", lambda: cnn_face_detector(None)),
    ]
    if has_zoo("centerface.v1"):
        methods.append(
            ("CNN detector (CenterFace)", "deep", lambda: cnn_face_detector("centerface.v1"))
        )
    rows = []
    for method, kind, factory in methods:
        row = Row("face_detection", "dlib faces (4 photos)", method, kind, "F1")
        try:
            detect = factory()
            detect(images[next(iter(images))])  # warm-up (model load) outside the timing
            t = time.perf_counter()
            preds = {f: detect(img) for f, img in images.items()}
            elapsed = time.perf_counter() - t
            tp = sum(match_boxes(preds[f], truth[f], iou) for f in images)
            n_pred = sum(len(p) for p in preds.values())
            precision, recall = tp / max(n_pred, 1), tp / max(n_true, 1)
            row.value = 2 * precision * recall / max(precision + recall, 1e-12)
            row.time_s, row.per_item_ms = elapsed, 1000 * elapsed / len(images)
            row.extra = {"precision": precision, "recall": recall, "detections": float(n_pred)}
        except Exception as exc:  # noqa: BLE001 - a failing method is a row with a note
            row.note = f"failed: {type(exc).__name__}: {exc}"
        rows.append(row)
        cfg.log(f"  {fmt_row(row)}")
    return rows
