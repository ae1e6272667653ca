"""Selfie segmentation parity: foveal's ONNX export of MediaPipe's ``selfie_segmentation.tflite``
(with foveal's pre/post-processing) against the same ``.tflite`` run by Google's TFLite runtime
(PyPI ``ai-edge-litert``) on the same 256x256 input, per photo: mask IoU at the photo's size,
largest probability difference, milliseconds per photo.

MediaPipe's own Python API (``mediapipe.solutions.selfie_segmentation``) does not import next to
protobuf 7, so the reference is the model file run by the TFLite interpreter, with MediaPipe's
documented preprocessing (whole image stretched to 256x256, RGB in 0..1) and the mask resized back
bilinearly.

    python bench/segment_selfie_parity.py [PHOTOS...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

PEOPLE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "faces" / "people"


def litert_mask(rgb: np.ndarray, model: Path) -> np.ndarray:
    """Person probability ``(H, W)`` from the ``.tflite`` run by ai-edge-litert."""
    import cv2
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(model))
    it.allocate_tensors()
    x = cv2.resize(rgb, (256, 256), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    it.set_tensor(it.get_input_details()[0]["index"], x[None])
    it.invoke()
    out = it.get_tensor(it.get_output_details()[0]["index"])[0, :, :, 0]
    return cv2.resize(out, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)


def main() -> None:
    import foveal
    from foveal.io import load_image
    from foveal.tasks.segment.tflite import selfie_tflite

    photos = [Path(p) for p in sys.argv[1:]] or sorted((PEOPLE.resolve() / "test").glob("*.jpg"))
    model = selfie_tflite()
    foveal.segment(load_image(photos[0]))  # export once, warm up
    print(
        "| photo | IoU (person) | max abs prob diff | foveal ms | person % |\n|---|---|---|---|---|"
    )
    ious = []
    for p in photos:
        rgb = load_image(p)
        t = time.perf_counter()
        seg = foveal.segment(rgb, probabilities=True)
        ms = (time.perf_counter() - t) * 1000
        ref = litert_mask(rgb, model)
        a, b = seg.class_map == 1, ref > 0.5
        iou = (a & b).sum() / max((a | b).sum(), 1)
        ious.append(iou)
        diff = np.abs(seg.probabilities[1] - ref).max()
        print(f"| {p.name} | {iou:.4f} | {diff:.2e} | {ms:.0f} | {100 * a.mean():.1f} |")
    print(f"\nmin IoU {min(ious):.4f} over {len(ious)} photos")


if __name__ == "__main__":
    main()
