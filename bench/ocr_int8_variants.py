"""OCR int8 recipes side by side: what foveal ships vs other choices, one run, 1 thread.

Variants (each quantises the detector, the recognizer and the direction classifier on the default
calibration set, scikit-image's page.png and text.png, as ``TextReader(precision="int8")`` does):
- ``percentile``: foveal's recipe (first and output layers fp32, percentile ranges);
- ``depthwise fp32``: also every depthwise convolution (Conv with group > 1) kept in fp32 (what
  helps networks whose int8 is slower than fp32);
(MinMax and Entropy activation ranges were measured with this script's first version, commit
c619735, when ``quantize_int8`` took a ``method``; see docs/speed.md.)

Each variant here also runs the direction classifier in int8 (TextReader keeps it fp32).
Reported: CER on the 5 shared pages with a truth (phototest.tif, its 3 rotated copies,
eurotext.tif) and on receipts 110-119, and each network's median time (detector on receipt 110 at
full size, recognizer and direction classifier on the lines of phototest.tif and receipt 110),
fp32 and the variants interleaved. Then the layout model (``--blocks``) in int8: blocks kept and
speed (:func:`layout`).

    python bench/ocr_int8_variants.py [--repeats 5] [--variants percentile] [--only-layout]
"""

from __future__ import annotations

import argparse
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
PAGES = SHARED / "data" / "ocr" / "pages"
RECEIPTS = SHARED / "data" / "ocr" / "receipts"
VARIANTS = ("percentile", "depthwise")


def depthwise_convs(path: Path) -> list[str]:
    """Names of the Conv nodes with group > 1 as ``quantize_int8`` sees them (after ONNX
    Runtime's pre-processing, which may rename fused nodes)."""
    import onnx
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(path), str(pre), skip_symbolic_shape=True)
        graph = onnx.load(str(pre)).graph
    return [
        n.name
        for n in graph.node
        if n.op_type == "Conv" and any(a.name == "group" and a.i > 1 for a in n.attribute)
    ]


def layout(repeats: int, work: Path) -> None:
    """The layout model (PP-PicoDet CDLA, fixed 800x608 input) in int8, foveal's recipe,
    calibrated on the default set: blocks kept (same type, IoU >= 0.5) on the shared pages and
    receipts 110-119, and the network's speed."""
    from foveal.io import load_image
    from foveal.ops import box_iou
    from foveal.runtime.quantize import quantize_int8
    from foveal.tasks.ocr.blocks import LayoutFinder
    from foveal.tasks.ocr.int8 import default_calibration, with_runner

    def bgr(path: Path) -> np.ndarray:
        return np.ascontiguousarray(load_image(path)[..., ::-1])

    fp32 = LayoutFinder(threads=1)
    int8 = LayoutFinder(threads=1)
    cal = [fp32.preprocess(bgr(p))[0] for p in default_calibration()]
    out = quantize_int8(fp32.model.path, cal, work / "layout.onnx")
    int8.model = with_runner(int8.model, out)
    pages = sorted(PAGES.glob("*.tif")) + sorted(PAGES.glob("*.png"))
    pages += [p for p in sorted(RECEIPTS.glob("*.jpg")) if 110 <= int(p.stem) < 120]
    found = kept = given = 0
    for path in pages:
        image = bgr(path)
        a, b = fp32(image), int8(image)
        found, given = found + len(a.boxes), given + len(b.boxes)
        if len(a.boxes) and len(b.boxes):
            same = np.asarray(a.labels)[:, None] == np.asarray(b.labels)[None, :]
            kept += int(np.sum((box_iou(a.boxes, b.boxes) * same).max(axis=1) >= 0.5))
    x = fp32.preprocess(bgr(pages[0]))
    times: dict[str, list[float]] = {"fp32": [], "int8": []}
    for rep in range(repeats + 1):
        for name, finder in (("fp32", fp32), ("int8", int8))[:: 1 if rep % 2 else -1]:
            t = time.perf_counter()
            finder.model.runner.run(x)
            if rep:
                times[name].append((time.perf_counter() - t) * 1000.0)
    m32, m8 = statistics.median(times["fp32"]), statistics.median(times["int8"])
    print(
        f"layout model int8 (default cal.): keeps {kept}/{found} fp32 blocks on {len(pages)} "
        f"pages and receipts (int8 gives {given}); network fp32 {m32:.1f} ms, int8 {m8:.1f} ms, "
        f"{m32 / m8:.2f}x"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--variants", default="percentile,depthwise")
    ap.add_argument("--only-layout", action="store_true", help="the layout model only")
    args = ap.parse_args()
    variants = args.variants.split(",")
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    os.environ.setdefault("FOVEAL_HOME", tempfile.mkdtemp(prefix="foveal-ocr-int8-"))
    if args.only_layout:
        layout(args.repeats, Path(tempfile.mkdtemp(prefix="ocr-int8-variants-")))
        return 0

    sys.path.insert(0, str(ROOT / "bench"))
    from ocr_documents import receipt_truth

    from foveal.evaluate.ocr import cer
    from foveal.io import load_image
    from foveal.runtime.quantize import quantize_int8
    from foveal.runtime.threads import machine_load
    from foveal.tasks.ocr import TextReader
    from foveal.tasks.ocr.det import det_input_size, det_preprocess
    from foveal.tasks.ocr.geometry import crop_quad
    from foveal.tasks.ocr.int8 import default_calibration, detector_inputs, with_runner

    base = TextReader(threads=1)

    def lines_of(path: Path) -> list[np.ndarray]:
        bgr = np.ascontiguousarray(load_image(path)[..., ::-1])
        return [crop_quad(bgr, q) for q in base.detector(bgr)[0]]

    cal = default_calibration()
    cal_pages = [t for p in cal for t in detector_inputs(base.detector, load_image(p))]
    cal_lines = [line for p in cal for line in lines_of(p)]
    work = Path(tempfile.mkdtemp(prefix="ocr-int8-variants-"))
    readers = {"fp32": base}
    for v in variants:
        reader = TextReader(threads=1)
        parts = (
            (reader.detector, cal_pages, True),
            (reader.recognizer, reader.recognizer.line_tensors(cal_lines), True),
            (reader.classifier, list(reader.classifier.tensors(cal_lines)), False),
        )
        for i, (part, tensors, varying) in enumerate(parts):
            out = quantize_int8(
                part.model.path,
                tensors,
                work / f"{v}-{i}.onnx",
                exclude=depthwise_convs(part.model.path) if v == "depthwise" else (),
                varying_shapes=varying,
            )
            part.model = with_runner(part.model, out)
        readers[v] = reader

    gold = (PAGES / "phototest.gold.txt").read_text(encoding="utf-8")
    names_ = ["phototest.tif", *(f"phototest-rotated-{r}.png" for r in ("L", "R", "180"))]
    items = [(PAGES / n, gold, False) for n in names_]
    items += [(PAGES / "eurotext.tif", (PAGES / "eurotext.txt").read_text("utf-8"), False)]
    receipts = [p for p in sorted(RECEIPTS.glob("*.jpg")) if 110 <= int(p.stem) < 120]
    items += [(p, receipt_truth(p.with_suffix(".csv")).lower(), True) for p in receipts]
    cers: dict[str, dict[str, list[float]]] = {k: {"pages": [], "receipts": []} for k in readers}
    for path, truth, lower in items:
        image = load_image(path)
        for name, reader in readers.items():
            text = reader.predict(image).text
            key = "receipts" if lower else "pages"
            cers[name][key].append(cer(text.lower() if lower else text, truth))

    receipt = np.ascontiguousarray(load_image(receipts[0])[..., ::-1])
    det_in = det_preprocess(receipt, det_input_size(*receipt.shape[:2], max_side=2000))
    lines = lines_of(PAGES / "phototest.tif") + lines_of(receipts[0])
    nets = {
        "detector": (lambda r: r.detector.model.runner.run, det_in),
        "recognizer": (lambda r: r.recognizer, lines),
        "classifier": (lambda r: r.classifier, lines),
    }
    load = machine_load()
    times: dict[str, dict[str, list[float]]] = {k: {n: [] for n in nets} for k in readers}
    names = list(readers)
    for rep in range(args.repeats + 1):
        for net, (get, x) in nets.items():
            for name in names if rep % 2 == 0 else names[::-1]:
                fn = get(readers[name])
                t = time.perf_counter()
                fn(x)
                if rep:
                    times[name][net].append((time.perf_counter() - t) * 1000.0)
    print(
        f"# OCR int8 variants, 1 thread, {args.repeats} repeats (load {load:.2f} -> "
        f"{machine_load():.2f}); calibration: {', '.join(p.name for p in cal)}"
    )
    print(
        f"{'variant':<12} {'CER pages':>9} {'CER rec.':>9} "
        + " ".join(f"{n + ' ms':>14}" for n in nets)
    )
    ref = {n: statistics.median(times["fp32"][n]) for n in nets}
    for name in readers:
        row = f"{name:<12} {np.mean(cers[name]['pages']) * 100:8.2f}% "
        row += f"{np.mean(cers[name]['receipts']) * 100:8.2f}% "
        for n in nets:
            med = statistics.median(times[name][n])
            row += f" {med:7.1f} ({ref[n] / med:.2f}x)"
        print(row)
    print(f"(receipts 110-{int(receipts[-1].stem)}, case-insensitive; int8 files in {work})")
    layout(args.repeats, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
