"""The promise benchmark: learned (deep) methods against hand-crafted (classical) ones, same data.

    foveal bench promise --out promise/        # table on stdout, promise.png + promise.json

Five tasks, each on the same data and splits for every method, with a fixed seed:

* classification — a linear classifier (scikit-learn logistic regression) on HOG, SIFT
  bag-of-visual-words, LBP and Gabor features vs on CNN embeddings (MobileNetV2, ImageNet weights)
  vs a fine-tuned CNN (``foveal.train``), on Fashion-MNIST (a seeded, class-balanced subset of the
  official train/test files) and scikit-learn's digits (seeded stratified 75/25 split); and on
  natural photos, ants vs bees (:mod:`foveal.bench.promise.natural`: + colour histograms, and
  ``foveal train classify`` with its defaults);
* face detection — OpenCV's Haar cascade and dlib's HOG detector vs the CNN detectors
  (``foveal.api.detect_faces``) on the dlib-annotated photos in ``faces/detection``;
* OCR — Tesseract vs the deep pipeline (``foveal.api.read_text``) on ``ocr/pages``;
* face recognition — LBPH-style histograms and Eigenfaces vs deep face embeddings (dlib's ResNet,
  and ``foveal.api.identify`` with a gallery) on ``faces/people``;
* gestures — hand-crafted motion features (logistic regression, k-NN) vs an MLP on flattened rows
  vs LSTM / GRU / TCN on the fingertip tracks of ``gestures/point_history.csv``.
* restoration — OpenCV non-local means and BM3D vs foveal's shipped denoiser, sigma=25 noise on
  photo crops not used in training (PSNR).

A method that cannot run here (tesseract or dlib missing, a data set not installed) or that fails
becomes a row with a note, not a crash.
"""

from __future__ import annotations

from collections.abc import Callable

from foveal.bench.promise.classification import (
    classification_extractors,
    linear_probe,
    run_classification,
    run_finetune,
)
from foveal.bench.promise.core import TASKS, Row, Settings, Skip, fmt_row
from foveal.bench.promise.face_detection import run_face_detection
from foveal.bench.promise.face_recognition import FACES_TEST_TRUTH, run_face_recognition
from foveal.bench.promise.finetune import FashionFinetune
from foveal.bench.promise.gestures import run_gestures
from foveal.bench.promise.natural import run_ants_bees
from foveal.bench.promise.ocr import cer, normalize_text, ocr_pages, run_ocr, tesseract_reader
from foveal.bench.promise.report import format_table, plot, save
from foveal.bench.promise.restoration import run_restoration


def run_all_classification(cfg: Settings) -> list[Row]:
    """The grey small-image data sets, then ants/bees photos (when in ``cfg.datasets``)."""
    rows = run_classification(cfg)
    return rows + (run_ants_bees(cfg) if "ants-bees" in cfg.datasets else [])


RUNNERS: dict[str, Callable[[Settings], list[Row]]] = {
    "classification": run_all_classification,
    "face_detection": run_face_detection,
    "ocr": run_ocr,
    "face_recognition": run_face_recognition,
    "gestures": run_gestures,
    "restoration": run_restoration,
}


def run(cfg: Settings) -> list[Row]:
    """Run the chosen tasks; returns every row (skipped ones carry a note)."""
    import cv2

    from foveal.train.seeding import seed_everything

    seed_everything(cfg.seed)
    cv2.setRNGSeed(cfg.seed)
    rows: list[Row] = []
    for task in cfg.tasks:
        rows += RUNNERS[task](cfg)
    return rows


__all__ = [
    "FACES_TEST_TRUTH",
    "RUNNERS",
    "TASKS",
    "FashionFinetune",
    "Row",
    "Settings",
    "Skip",
    "cer",
    "classification_extractors",
    "fmt_row",
    "format_table",
    "linear_probe",
    "normalize_text",
    "ocr_pages",
    "plot",
    "run",
    "run_all_classification",
    "run_ants_bees",
    "run_classification",
    "run_face_detection",
    "run_face_recognition",
    "run_gestures",
    "run_finetune",
    "run_ocr",
    "save",
    "tesseract_reader",
]
