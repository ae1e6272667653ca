"""OCR on real documents: foveal vs RapidOCR 3.10's own pipeline vs Tesseract, same images, one run.

Engines (each reads every image from its file, decoding included):
- ``foveal``: :class:`foveal.tasks.ocr.TextReader` with its defaults (layout ``auto``).
- ``foveal+blocks`` (with ``--blocks``): the same reader with the ``ppocr_layout.cdla`` layout
  blocks steering the reading order (blocks, then lines inside each by their geometry).
- ``rapidocr``: RapidOCR 3.10 with its defaults (the same PP-OCRv6 small det/rec ONNX files and the
  same direction classifier), its lines joined by newlines in its own order.
- ``tesseract``: the ``tesseract`` CLI, ``-l eng``, default page segmentation, one thread
  (``OMP_THREAD_LIMIT=1``).

Sets:
- ``page``: scikit-image's ``page.png`` (a photographed book page), truth typed from the image.
- ``phototest``: tesseract's phototest.tif and its 3 rotated copies (../shared/data/ocr/pages).
- ``receipts``: the 40 SROIE receipts in ../shared/data/ocr/receipts; truth = the boxes' texts in
  their (row-by-row) order. Scored case-insensitively (the SROIE truth is mostly upper case).
  Reported on all 40, on 100-119 (the receipts looked at while choosing the layout thresholds)
  and on 120-139 (held out: never looked at while tuning).
- ``columns``: 4 pages of bench/ocr_columns.py (2 and 3 columns, 300 dpi, seeds 1-4; tuning only
  looked at seed 0, which the tests use).
- ``skewed``: 6 more pages of bench/ocr_columns.py (seeds 7-12, 2 and 3 columns, rendered at
  150 dpi) turned by 1.5-3 degrees (white corners). Held out: the block order was tuned on
  seeds 0, 1, 4 and 6 (turned, at 150 dpi), never on these.

Metrics per image: order-sensitive CER (whitespace and line breaks normalised to single spaces),
order-free word F1 (case-insensitive), wall seconds and CPU seconds (all threads; Tesseract's
child process included). Per set: means over its images. The machine is shared: wall times follow
its load, which hits the interleaved engines alike.

    python bench/ocr_documents.py [--sets page,phototest,receipts,columns] [--receipts 40]
                                  [--blocks] [--engines foveal,foveal+blocks,rapidocr,tesseract]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FOVEAL_SHARED", ROOT.parent / "shared"))
PAGES = SHARED / "data" / "ocr" / "pages"
RECEIPTS = SHARED / "data" / "ocr" / "receipts"
TUNED = range(100, 120)
"""Receipts looked at while choosing thresholds; 120-139 are held out."""
SKEWED = ((2, 7, 2.5), (3, 8, -2.0), (2, 9, 2.0), (3, 10, -2.5), (2, 11, 1.5), (3, 12, -3.0))
"""The ``skewed`` set: (columns, seed, degrees counter-clockwise)."""

PAGE_TRUTH = """Region-based segmentation
Let us first determine markers of the coins and the
background. These markers are pixels that we can label
unambiguously as either object or background. Here,
the markers are found at the two extreme parts of the
histogram of grey values:
>>> markers = np.zeros_like(coins)"""


def _load_bench(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


def cpu_seconds() -> float:
    """CPU seconds of this process (all threads) and its finished children (Tesseract)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def receipt_truth(csv: Path) -> str:
    """The texts of a SROIE box file (``x1,y1,...,x4,y4,TEXT`` per line), one per line."""
    out = []
    for line in csv.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split(",", 8)
        if len(parts) == 9 and parts[8].strip():
            out.append(parts[8].strip())
    return "\n".join(out)


def images(sets: list[str], n_receipts: int, tmp: Path) -> list[tuple[str, str, Path, str]]:
    """``(set, name, image file, truth)`` for the chosen sets (generated images go to ``tmp``)."""
    import cv2

    out = []
    if "page" in sets:
        import skimage.data

        path = tmp / "page.png"
        cv2.imwrite(str(path), skimage.data.page())
        out.append(("page", "page.png", path, PAGE_TRUTH))
    if "phototest" in sets:
        gold = (PAGES / "phototest.gold.txt").read_text(encoding="utf-8")
        for name in (
            "phototest.tif",
            "phototest-rotated-L.png",
            "phototest-rotated-R.png",
            "phototest-rotated-180.png",
        ):
            out.append(("phototest", name, PAGES / name, gold))
    if "receipts" in sets:
        for img in sorted(RECEIPTS.glob("*.jpg"))[:n_receipts]:
            out.append(("receipts", img.name, img, receipt_truth(img.with_suffix(".csv"))))
    if "columns" in sets:
        for name, page in _load_bench("ocr_columns").page_set():
            path = tmp / f"{name}.png"
            cv2.imwrite(str(path), page.image[..., ::-1])
            out.append(("columns", name, path, page.truth))
    if "skewed" in sets:
        columns = _load_bench("ocr_columns")
        for cols, seed, degrees in SKEWED:
            page = columns.columns_page(cols, seed, dpi=150)
            h, w = page.image.shape[:2]
            turn = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
            image = cv2.warpAffine(page.image, turn, (w, h), borderValue=(255, 255, 255))
            name = f"cols{cols}-s{seed}-{degrees:+g}deg"
            path = tmp / f"{name}.png"
            cv2.imwrite(str(path), image[..., ::-1])
            out.append(("skewed", name, path, page.truth))
    return out


def engines(blocks: bool = False) -> dict[str, Callable[[Path], str]]:
    from foveal.tasks.ocr import TextReader

    reader = TextReader()
    out: dict[str, Callable[[Path], str]] = {"foveal": lambda p: reader.predict(p).text}
    if blocks:
        with_blocks = TextReader(blocks="ppocr_layout.cdla")
        out["foveal+blocks"] = lambda p: with_blocks.predict(p).text

    from rapidocr import RapidOCR

    rapid = RapidOCR(params={"Global.log_level": "error"})
    out["rapidocr"] = lambda p: "\n".join(getattr(rapid(str(p)), "txts", None) or ())

    if not shutil.which("tesseract"):
        raise SystemExit("tesseract not found (apt-get install tesseract-ocr tesseract-ocr-eng)")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def tesseract(p: Path) -> str:
        res = subprocess.run(
            ["tesseract", str(p), "stdout", "-l", "eng"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        return res.stdout

    out["tesseract"] = tesseract
    return out


def main(argv: list[str] | None = None) -> None:
    from foveal.evaluate.ocr import cer, word_f1

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="page,phototest,receipts,columns")
    ap.add_argument("--receipts", type=int, default=40, help="how many receipts (from 100)")
    ap.add_argument("--verbose", action="store_true", help="one row per image")
    ap.add_argument(
        "--blocks", action="store_true", help="also run foveal with layout blocks (foveal+blocks)"
    )
    ap.add_argument("--engines", default=None, help="comma-separated subset of the engines")
    args = ap.parse_args(argv)
    sets = args.sets.split(",")
    run = engines(args.blocks)
    if args.engines:
        run = {k: v for k, v in run.items() if k in args.engines.split(",")}
    rows: list[tuple[str, str, str, float, float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        todo = images(sets, args.receipts, Path(tmp))
        for fn in run.values():  # warm-up: model loading is not per-image time
            fn(todo[0][2])
        for set_name, image, path, truth in todo:
            for engine, fn in run.items():  # engines interleaved: machine load hits all alike
                t, c0 = time.perf_counter(), cpu_seconds()
                text = fn(path)
                seconds, cpu = time.perf_counter() - t, cpu_seconds() - c0
                if set_name == "receipts":
                    c = cer(text.lower(), truth.lower())
                else:
                    c = cer(text, truth)
                f = word_f1(text, truth)
                rows.append((set_name, image, engine, c, f, seconds, cpu))
                if args.verbose:
                    print(
                        f"{set_name:9s} {image:28s} {engine:9s} {c:.4f} {f:.3f} "
                        f"{seconds:.2f}s {cpu:.2f}"
                    )
    groups: dict[str, list[tuple[str, str, str, float, float, float, float]]] = {}
    for r in rows:
        groups.setdefault(r[0], []).append(r)
        if r[0] == "receipts":
            held = int(Path(r[1]).stem) not in TUNED
            groups.setdefault(
                "receipts 120-139 (held out)" if held else "receipts 100-119 (tuned)", []
            ).append(r)
    print(
        f"\n{'set':30s} {'engine':10s} {'n':>3s} {'CER':>7s} {'wordF1':>7s} {'s/img':>7s} "
        f"{'cpu/img':>7s}"
    )
    for set_name, rs in groups.items():
        for engine in run:
            mine = [r for r in rs if r[2] == engine]
            n = len(mine)
            print(
                f"{set_name:30s} {engine:10s} {n:3d} {sum(r[3] for r in mine) / n:7.4f} "
                f"{sum(r[4] for r in mine) / n:7.3f} {sum(r[5] for r in mine) / n:7.2f} "
                f"{sum(r[6] for r in mine) / n:7.2f}"
            )


if __name__ == "__main__":
    main()
