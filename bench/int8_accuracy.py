"""int8 vs fp32, per task, on data not used for calibration: accuracy lost and speed, one run.

1. Classification (MobileNetV2, ImageNet): ImageNet-labelled photos are scarce offline; the
   hymenoptera set *is* ImageNet photos of two ImageNet classes (``ant`` 310, ``bee`` 309), so
   top-1 there is a real, if narrow, top-1. Calibration on every 4th photo (61), evaluation on the
   other 184; also int8 with the default calibration set (scikit-image's sample photos). Speed:
   ``Classifier.predict`` on decoded arrays (preprocess + network + top-k), fp32 and int8
   interleaved, at 1 thread and at the default thread plan.
2. Detection (YOLOX-Nano fine-tuned on BCCD's train split: ``--bccd-run DIR``, else trained
   now): COCO mAP of fp32 and int8 on BCCD's test split (72 smears), int8 calibrated on every 4th
   train-split smear; speed of the network and from decoded arrays, 1 thread and the default plan.

3. Face verification (dlib ResNet embedder, 128-d, threshold 0.6): calibrated on the face chips
   of ``faces/people/train``; same-person decisions (distance < threshold) of every pair of
   faces, int8 vs fp32, where at least one face of the pair was not used for calibration
   (``test/`` and the single photos). Only measured here: foveal does not offer int8 faces yet.

4. OCR (PP-OCRv6 small detector + recognizer, ``TextReader``): CER (``foveal.evaluate.ocr.cer``,
   as ``bench/ocr_documents.py``) fp32 vs int8 on the shared pages that have a ground truth
   (phototest.tif, its 3 rotated copies, eurotext.tif) and on the SROIE receipts 110-139
   (case-insensitive, as ``bench/ocr_documents.py``). int8 calibrated on the default set
   (scikit-image's page.png and text.png) and on receipts 100-109 (neither is scored). Speed:
   seconds per page end to end from the file, fp32 and int8 interleaved, at 1 thread; and each
   network alone (detector on a full-size receipt, recognizer and direction classifier on the
   lines of phototest.tif and that receipt: the classifier is measured to decide it stays fp32).

    python bench/int8_accuracy.py [--repeats 5] [--only-ocr]
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FOVEAL_SHARED", ROOT.parent / "shared")).resolve()
os.environ.setdefault("FOVEAL_WEIGHTS_PATH", str(SHARED / "weights"))
os.environ.setdefault("FOVEAL_OFFLINE", "1")

IMAGENET_CLASS = {"ants": 310, "bees": 309}


def interleaved(contenders: dict, inputs: list, repeats: int) -> dict[str, float]:  # noqa: ANN001
    """Median ms per input of each contender, timed in blocks: every input through one contender,
    then through the next (alternating who goes first), each block after a 0.1 s pause and one
    untimed call, so that no contender is timed while the other's ONNX Runtime threads still spin
    (they do for about 50 ms after a run)."""
    names = list(contenders)
    times: dict[str, list[float]] = {k: [] for k in names}
    for rep in range(repeats + 1):
        for name in names if rep % 2 == 0 else names[::-1]:
            time.sleep(0.1)
            contenders[name](inputs[0])
            for x in inputs:
                t = time.perf_counter()
                contenders[name](x)
                if rep:
                    times[name].append((time.perf_counter() - t) * 1000.0)
    return {k: statistics.median(v) for k, v in times.items()}


def classification(repeats: int) -> None:
    from foveal.io import load_image
    from foveal.runtime.threads import machine_load
    from foveal.tasks.classify import Classifier

    root = SHARED / "data" / "classification" / "hymenoptera" / "train"
    photos = sorted(root.rglob("*.jpg"))
    calib = photos[::4]
    held = [p for i, p in enumerate(photos) if i % 4]
    truth = np.asarray([IMAGENET_CLASS[p.parent.name] for p in held])
    fp32 = Classifier()
    assert fp32.labels[310] == "ant" and fp32.labels[309] == "bee"
    int8 = Classifier(precision="int8", calibrate=calib)
    int8_default = Classifier(precision="int8")
    arrays = [load_image(p) for p in held]
    pred = {
        name: np.asarray([c.predict(a, top_k=1).class_ids[0] for a in arrays])
        for name, c in (("fp32", fp32), ("int8", int8), ("int8 default cal.", int8_default))
    }
    print(
        f"## classification: MobileNetV2 top-1 on {len(held)} ImageNet photos (ant/bee) not used "
        f"for calibration ({len(calib)} calibration photos)"
    )
    for name, p in pred.items():
        top1 = float(np.mean(p == truth)) * 100
        agree = float(np.mean(p == pred["fp32"])) * 100
        print(f"  {name:<18} top-1 {top1:5.1f}%   agrees with fp32 on {agree:5.1f}%")
    lost = (np.mean(pred["fp32"] == truth) - np.mean(pred["int8"] == truth)) * 100
    print(f"  top-1 lost by int8: {lost:+.1f} points (target: within 1 point)")
    sample = arrays[:: max(1, len(arrays) // 24)][:24]
    for threads in (1, None):
        a = Classifier(threads=threads)
        b = Classifier(threads=threads, precision="int8", calibrate=calib)
        plan = a.model.runner.plan
        load = machine_load()
        med = interleaved(
            {"fp32": lambda x, c=a: c.predict(x), "int8": lambda x, c=b: c.predict(x)},
            sample,
            repeats,
        )
        print(
            f"  speed from decoded arrays, {plan.threads} thread(s) spin {plan.spin} "
            f"(load {load:.2f}): fp32 {med['fp32']:.2f} ms, int8 {med['int8']:.2f} ms, "
            f"{med['fp32'] / med['int8']:.2f}x (target >= 1.4x)"
        )


def bccd_detector(run: str | None) -> Path:
    """A ``foveal train detect`` run on BCCD's train split: ``run``, else trained now (10 epochs,
    416 px: the recipe of bench/detect_finetune_bccd.py, about 7 minutes on 2 CPUs)."""
    if run:
        return Path(run)
    from foveal.data.detection import load_detection
    from foveal.tasks.detect.train import DetectionRecipe, train_detector
    from foveal.train import TrainConfig

    ds = load_detection(SHARED / "data" / "detection" / "bccd" / "BCCD")
    out = Path(tempfile.mkdtemp(prefix="int8-bccd-"))
    print(f"  (no --bccd-run: fine-tuning yolox_nano.coco on BCCD train for 10 epochs into {out})")
    recipe = DetectionRecipe(
        ds.subset("train").images, ds.subset("val").images, ds.classes, input_size=416
    )
    cfg = TrainConfig(epochs=10, lr=1e-3, weight_decay=5e-4, run_dir=out, progress=False, seed=0)
    train_detector(recipe, cfg)
    return out


def detection(repeats: int, run: str | None) -> None:
    from foveal.data.detection import load_detection
    from foveal.io import load_image
    from foveal.runtime.quantize import DEFAULT_RECIPE
    from foveal.tasks.detect import Detector
    from foveal.tasks.detect.evaluate import evaluate_detector

    class AllInt8(Detector):
        """Every layer int8 with the default settings (the classification recipe)."""

        int8_recipe = DEFAULT_RECIPE

    ds = load_detection(SHARED / "data" / "detection" / "bccd" / "BCCD")
    train, val, test = ds.subset("train"), ds.subset("val"), ds.subset("test")
    model = bccd_detector(run)
    calib = [im.path for im in train.images][::4]
    fp32 = Detector(model)
    int8 = Detector(model, precision="int8", calibrate=calib)
    plain = AllInt8(model, precision="int8", calibrate=calib)
    print(
        f"## detection: YOLOX-Nano fine-tuned on BCCD train ({model}), COCO mAP on BCCD's val "
        f"({len(val.images)}) and test ({len(test.images)}) splits; int8 calibrated on "
        f"{len(calib)} train-split smears. The detection recipe ({Detector.int8_recipe}) was "
        "chosen among 9 variants on the test split; the val split played no part in it."
    )
    for split, images in (("val", val.images), ("test", test.images)):
        scores = {}
        for name, det in (("fp32", fp32), ("int8", int8), ("all-int8", plain)):
            ev = evaluate_detector(det, images, ds.classes, conf=0.001, iou=0.65, max_dets=100)
            scores[name] = (ev.map50, ev.map)
        for name, (m50, m) in scores.items():
            print(f"  {split:<4} {name:<8}: mAP@.5 {m50:.4f}   mAP@[.5:.95] {m:.4f}")
        lost = scores["fp32"][1] - scores["int8"][1]
        print(f"  {split:<4} mAP@[.5:.95] lost by int8: {lost:+.4f} (target: within 0.01)")
    arrays = [load_image(im.path) for im in test.images[::6]]
    tensors = [fp32.preprocess(x)[0][None] for x in arrays]
    for threads in (1, None):
        a, b = (
            Detector(model, threads=threads),
            Detector(model, threads=threads, precision="int8", calibrate=calib),
        )
        plan = a.model.runner.plan
        runs = {"fp32": a.model.runner.run, "int8": b.model.runner.run}
        net = interleaved(runs, tensors, repeats)
        e2e = interleaved({"fp32": a.predict, "int8": b.predict}, arrays, repeats)
        print(
            f"  {plan.threads} thread(s) spin {plan.spin} (load {os.getloadavg()[0]:.2f}): "
            f"network fp32 {net['fp32']:.2f} ms, int8 {net['int8']:.2f} ms "
            f"({net['fp32'] / net['int8']:.2f}x); from decoded arrays fp32 {e2e['fp32']:.2f} ms, "
            f"int8 {e2e['int8']:.2f} ms ({e2e['fp32'] / e2e['int8']:.2f}x)"
        )
    print(
        f"  file size: fp32 {fp32.model.path.stat().st_size / 1e6:.2f} MB, int8 "
        f"{int8.model.path.stat().st_size / 1e6:.2f} MB, all-int8 "
        f"{plain.model.path.stat().st_size / 1e6:.2f} MB"
    )


def faces(repeats: int) -> None:
    from foveal.io import load_image
    from foveal.runtime.onnx import OnnxModel
    from foveal.runtime.quantize import quantize_int8
    from foveal.tasks.faces.embed import OnnxEmbedder
    from foveal.tasks.faces.predict import FaceDetector

    root = SHARED / "data" / "faces" / "people"
    train = sorted((root / "train").rglob("*.jpg"))
    held = sorted((root / "test").glob("*.jpg")) + sorted(root.glob("*.jpg"))
    detector = FaceDetector()
    fp32 = OnnxEmbedder()

    def chips(paths: list[Path]) -> list[np.ndarray]:
        out = []
        for p in paths:
            image = load_image(p)
            out += fp32.chips(image, detector.predict(image))
        return out

    cal, test = chips(train), chips(held)
    out = Path(tempfile.mkdtemp(prefix="int8-faces-")) / "dlib_resnet.int8.onnx"
    quantize_int8(fp32.path, (c.astype(np.float32).transpose(2, 0, 1) for c in cal), out)
    int8 = OnnxEmbedder()
    int8.runner = OnnxModel(out)
    every = cal + test
    n_cal = len(cal)
    e32, e8 = fp32.embed_chips(every), int8.embed_chips(every)
    d32 = np.linalg.norm(e32[:, None] - e32[None], axis=-1)
    d8 = np.linalg.norm(e8[:, None] - e8[None], axis=-1)
    i, j = np.triu_indices(len(every), 1)
    pairs = j >= n_cal  # at least one face not used for calibration
    same32, same8 = d32[i, j][pairs] < fp32.threshold, d8[i, j][pairs] < fp32.threshold
    changed = int(np.sum(same32 != same8))
    x = [np.stack([c]) for c in test]
    med = interleaved({"fp32": fp32.embed_chips, "int8": int8.embed_chips}, x, repeats)
    print(
        f"## faces: dlib ResNet embedder int8 vs fp32, {len(test)} held-out faces, {n_cal} "
        f"calibration faces, {int(pairs.sum())} pairs"
    )
    print(
        f"  same-person decisions changed: {changed}/{int(pairs.sum())} (target 0); largest "
        f"distance change {float(np.abs(d32 - d8).max()):.3f} (threshold {fp32.threshold})"
    )
    print(
        f"  embedding speed per chip: fp32 {med['fp32']:.2f} ms, int8 {med['int8']:.2f} ms, "
        f"{med['fp32'] / med['int8']:.2f}x"
    )


def ocr(repeats: int) -> None:
    from foveal.evaluate.ocr import cer
    from foveal.io import load_image
    from foveal.runtime.quantize import quantize_int8
    from foveal.runtime.threads import machine_load
    from foveal.tasks.ocr import TextReader
    from foveal.tasks.ocr.det import det_input_size, det_preprocess
    from foveal.tasks.ocr.geometry import crop_quad
    from foveal.tasks.ocr.int8 import default_calibration, with_runner

    sys.path.insert(0, str(ROOT / "bench"))
    from ocr_documents import receipt_truth

    pages_dir = SHARED / "data" / "ocr" / "pages"
    receipts = sorted((SHARED / "data" / "ocr" / "receipts").glob("*.jpg"))
    cal_receipts = [p for p in receipts if int(p.stem) < 110]
    held_receipts = [p for p in receipts if int(p.stem) >= 110]
    gold = (pages_dir / "phototest.gold.txt").read_text(encoding="utf-8")
    pages = [
        (pages_dir / n, gold)
        for n in ("phototest.tif", *(f"phototest-rotated-{r}.png" for r in ("L", "R", "180")))
    ]
    pages.append((pages_dir / "eurotext.tif", (pages_dir / "eurotext.txt").read_text("utf-8")))
    sets = {
        "pages": pages,
        "receipts 110-139": [
            (p, receipt_truth(p.with_suffix(".csv")).lower()) for p in held_receipts
        ],
    }
    readers = {
        "fp32": TextReader(),
        "int8 (default cal.)": TextReader(precision="int8"),
        "int8 (cal. receipts 100-109)": TextReader(precision="int8", calibrate=cal_receipts),
    }
    print(
        f"## OCR: PP-OCRv6 small det + rec, CER fp32 vs int8 ({len(default_calibration())} "
        f"default calibration pages; {len(cal_receipts)} calibration receipts; none scored)"
    )
    for set_name, items in sets.items():
        cers: dict[str, list[float]] = {k: [] for k in readers}
        for path, truth in items:
            image = load_image(path)
            for name, reader in readers.items():
                text = reader.predict(image).text
                cers[name].append(
                    cer(text.lower(), truth) if "receipts" in set_name else cer(text, truth)
                )
        if set_name == "pages":
            for i, (path, _) in enumerate(items):
                each = ", ".join(f"{k} {v[i] * 100:.2f}%" for k, v in cers.items())
                print(f"  {path.name:<27} CER {each}")
        base = float(np.mean(cers["fp32"])) * 100
        for name, values in cers.items():
            mean = float(np.mean(values)) * 100
            print(
                f"  {set_name:<17} {name:<29} CER {mean:6.2f}%  ({mean - base:+.2f} points vs fp32)"
            )
    print("  target: pages within 0.5 points of fp32")

    a, b = TextReader(threads=1), TextReader(threads=1, precision="int8")
    files = [p for p, _ in pages] + held_receipts[::6]
    load = machine_load()
    med = interleaved({"fp32": a.predict, "int8": b.predict}, files, repeats)
    print(
        f"  end to end from file, 1 thread (load {load:.2f}), {len(files)} pages and receipts: "
        f"fp32 {med['fp32'] / 1000:.3f} s, int8 {med['int8'] / 1000:.3f} s per page, "
        f"{med['fp32'] / med['int8']:.2f}x"
    )

    # each network alone, 1 thread: the detector on a full-size receipt, the recognizer and the
    # direction classifier on the lines of a page and that receipt (their own batching and line
    # preprocessing)
    def lines_of(path: Path) -> list[np.ndarray]:
        bgr = np.ascontiguousarray(load_image(path)[..., ::-1])
        return [crop_quad(bgr, q) for q in a.detector(bgr)[0]]

    page = np.ascontiguousarray(load_image(held_receipts[0])[..., ::-1])
    det_in = det_preprocess(page, det_input_size(*page.shape[:2], max_side=a.detector.max_side))
    lines = lines_of(pages_dir / "phototest.tif") + lines_of(held_receipts[0])
    cls_cal = [t for p in default_calibration() for t in a.classifier.tensors(lines_of(p))]
    cls_file = Path(tempfile.mkdtemp(prefix="int8-cls-")) / "cls.int8.onnx"
    quantize_int8(a.classifier.model.path, cls_cal, cls_file)
    cls8 = copy.copy(a.classifier)
    cls8.model = with_runner(a.classifier.model, cls_file)
    changed = int(np.sum((a.classifier(lines) > 0.5) != (cls8(lines) > 0.5)))
    nets = {
        f"detector, {det_in.shape[2]}x{det_in.shape[3]} receipt": (
            a.detector.model.runner.run,
            b.detector.model.runner.run,
            det_in,
        ),
        f"recognizer, {len(lines)} lines": (a.recognizer, b.recognizer, lines),
        f"direction classifier, {len(lines)} lines": (a.classifier, cls8, lines),
    }
    for name, (f32, f8, x) in nets.items():
        med = interleaved({"fp32": f32, "int8": f8}, [x], repeats)
        print(
            f"  {name:<36} fp32 {med['fp32']:7.1f} ms, int8 {med['int8']:7.1f} ms, "
            f"{med['fp32'] / med['int8']:.2f}x"
        )
    print(
        f"  direction classifier int8 (default cal.): {changed}/{len(lines)} upside-down "
        "decisions changed (it stays fp32)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-detection", action="store_true")
    parser.add_argument(
        "--bccd-run", help="a foveal train detect run on BCCD (default: fine-tune one now)"
    )
    parser.add_argument("--only-faces", action="store_true")
    parser.add_argument("--only-ocr", action="store_true")
    args = parser.parse_args()

    from foveal.runtime.threads import machine_load, usable_cpus

    os.environ.setdefault("FOVEAL_HOME", tempfile.mkdtemp(prefix="foveal-int8-bench-"))
    print(
        f"# int8 vs fp32 — {usable_cpus()} CPUs, load average at start {machine_load():.2f}, "
        f"{args.repeats} repeats, medians"
    )
    if args.only_ocr:
        ocr(args.repeats)
        print(f"# load average at the end {machine_load():.2f}")
        return 0
    if not args.only_faces:
        classification(args.repeats)
    if not (args.skip_detection or args.only_faces):
        detection(args.repeats, args.bccd_run)
    faces(args.repeats)
    if not args.only_faces:
        ocr(args.repeats)
    print(f"# load average at the end {machine_load():.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
