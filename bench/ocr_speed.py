"""OCR speed and accuracy: foveal vs RapidOCR's own pipeline (same PP-OCRv6 small ONNX models) vs
Tesseract.

Same images, same run, side by side: tesseract's test scans in ../shared/data/ocr/pages (phototest
and its three rotated copies, scored against phototest.gold.txt; eurotext against eurotext.txt).
Each engine reads each page from its file (decoding included); one warm-up per engine and page, then
``--rounds`` rounds interleaved engine by engine, so machine load hits all engines alike.

Reported per engine: median wall time per page, CPU time per page (all threads; for Tesseract, its
child process), CER and WER (whitespace and line breaks normalised to single spaces).
Target (issue 5): foveal >= 1.5x faster than RapidOCR at equal or lower CER.

    python bench/ocr_speed.py [--rounds 5] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = Path(os.environ.get("FOVEAL_SHARED", ROOT.parent / "shared")) / "data" / "ocr" / "pages"
IMAGES = {
    "phototest.tif": "phototest.gold.txt",
    "phototest-rotated-L.png": "phototest.gold.txt",
    "phototest-rotated-R.png": "phototest.gold.txt",
    "phototest-rotated-180.png": "phototest.gold.txt",
    "eurotext.tif": "eurotext.txt",
}


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def engines(threads: int | None) -> dict[str, object]:
    from foveal.tasks.ocr import TextReader

    reader = TextReader(threads=threads)
    out: dict[str, object] = {"foveal": lambda p: reader.predict(p).text}

    from rapidocr import RapidOCR

    params = {"Global.log_level": "error"}
    if threads:
        params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
    rapid = RapidOCR(params=params)

    def run_rapid(p: Path) -> str:
        res = rapid(str(p))
        return "\n".join(getattr(res, "txts", None) or ())

    out["rapidocr"] = run_rapid
    if shutil.which("tesseract"):
        env = {**os.environ, "OMP_THREAD_LIMIT": str(threads or os.cpu_count() or 1)}

        def run_tess(p: Path) -> str:
            r = subprocess.run(
                ["tesseract", str(p), "stdout", "-l", "eng"],
                capture_output=True,
                text=True,
                env=env,
            )
            if r.returncode != 0:
                raise RuntimeError(r.stderr.strip())
            return r.stdout

        out["tesseract"] = run_tess
    else:
        print(
            "tesseract not found (apt-get install tesseract-ocr tesseract-ocr-eng); skipping it",
            file=sys.stderr,
        )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument(
        "--threads", type=int, default=None, help="ONNX Runtime / Tesseract threads (default: all)"
    )
    args = ap.parse_args()

    from foveal.evaluate.ocr import score_page

    eng = engines(args.threads)
    names = list(eng)
    wall = {(e, i): [] for e in names for i in IMAGES}
    cpu = {(e, i): [] for e in names for i in IMAGES}
    text: dict[tuple[str, str], str] = {}
    for i in IMAGES:  # warm-up (model loading, first-shape costs) and the text to score
        for e in names:
            text[(e, i)] = eng[e](PAGES / i)
    for _ in range(args.rounds):
        for i in IMAGES:
            for e in names:
                c0, k0, t0 = time.process_time(), children_cpu(), time.perf_counter()
                eng[e](PAGES / i)
                wall[(e, i)].append(time.perf_counter() - t0)
                cpu[(e, i)].append(time.process_time() - c0 + children_cpu() - k0)

    from importlib.metadata import version

    print(
        f"OCR benchmark: {len(IMAGES)} pages x {args.rounds} rounds, {os.cpu_count()} CPUs, "
        f"threads={args.threads or 'all'}, load average {os.getloadavg()[0]:.1f}; "
        f"onnxruntime {version('onnxruntime')}, rapidocr {version('rapidocr')}"
    )
    head = f"{'page':<27}" + "".join(f"{e + ' s':>13}{'CER':>8}" for e in names)
    print("\nmedian wall seconds per page and CER\n" + head)
    totals = {
        e: [0, 0, 0, 0, 0.0, 0.0] for e in names
    }  # char err, chars, word err, words, wall, cpu
    for i, gt in IMAGES.items():
        ref = (PAGES / gt).read_text(encoding="utf-8")
        row = f"{i:<27}"
        for e in names:
            s = score_page(i, text[(e, i)], ref)
            w, c = statistics.median(wall[(e, i)]), statistics.median(cpu[(e, i)])
            t = totals[e]
            t[0] += s.char_errors
            t[1] += s.chars
            t[2] += s.word_errors
            t[3] += s.words
            t[4] += w
            t[5] += c
            row += f"{w:>13.3f}{s.cer:>8.2%}"
        print(row)
    print("\ntotals over all pages")
    print(
        f"{'engine':<12}{'wall s':>9}{'cpu s':>9}{'CER':>8}{'WER':>8}{'wall vs foveal':>16}"
        f"{'cpu vs foveal':>15}"
    )
    f = totals["foveal"]
    for e in names:
        t = totals[e]
        print(
            f"{e:<12}{t[4]:>9.3f}{t[5]:>9.3f}{t[0] / t[1]:>8.2%}{t[2] / t[3]:>8.2%}"
            f"{t[4] / f[4]:>15.2f}x{t[5] / f[5]:>14.2f}x"
        )
    up = ["phototest.tif", "eurotext.tif"]
    fw = sum(statistics.median(wall[("foveal", i)]) for i in up)
    rw = sum(statistics.median(wall[("rapidocr", i)]) for i in up)
    print(
        f"\nupright pages only (phototest + eurotext): rapidocr / foveal wall time = {rw / fw:.2f}x"
    )
    speedup = totals["rapidocr"][4] / f[4]
    cer_ok = f[0] / f[1] <= totals["rapidocr"][0] / totals["rapidocr"][1]
    print(
        f"target foveal >= 1.5x faster than rapidocr at equal or lower CER: "
        f"{speedup:.2f}x, CER {'<=' if cer_ok else '>'} -> "
        f"{'MET' if speedup >= 1.5 and cer_ok else 'NOT MET'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
