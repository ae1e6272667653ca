"""OCR in the promise benchmark: Tesseract vs the deep pipeline (``foveal.api.read_text``),
character accuracy on the Tesseract test pages in ``ocr/pages``."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from foveal.bench.promise.core import Row, Settings, Skip, fmt_row
from foveal.ops import edit_distance


def normalize_text(text: str) -> str:
    """Whitespace runs (line breaks included) collapsed to one space.

    >>> normalize_text(" the  quick\\nbrown ")
    'the quick brown'
    """
    return " ".join(text.split())


def cer(pred: str, gold: str) -> float:
    """Character error rate after collapsing whitespace: edit distance / gold length.

    >>> cer("the quick brawn", "the quick brown") == 1 / 15
    True
    """
    p, g = normalize_text(pred), normalize_text(gold)
    return edit_distance(p, g) / max(len(g), 1)


def ocr_pages(root: Path) -> list[tuple[Path, str]]:
    """``(page, gold text)`` of every test page under ``root/data/ocr/pages``."""
    pages = root / "data" / "ocr" / "pages"
    photo = (pages / "phototest.gold.txt").read_text(encoding="utf-8")
    euro = (pages / "eurotext.txt").read_text(encoding="utf-8")
    out = [(pages / "phototest.tif", photo), (pages / "eurotext.tif", euro)]
    out += [(p, photo) for p in sorted(pages.glob("phototest-rotated-*.png"))]
    return out


def tesseract_reader() -> Callable[[Path], str]:
    """``page -> text`` with the ``tesseract`` program (English, automatic page segmentation).

    Raises:
        Skip: tesseract is not installed.
    """
    exe = shutil.which("tesseract")
    if exe is None:
        raise Skip("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-eng)")
    listed = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, check=False)
    psm = "1" if "osd" in listed.stdout.split() else "3"  # 1: with orientation detection

    def read(path: Path) -> str:
        res = subprocess.run(
            [exe, str(path), "stdout", "-l", "eng", "--psm", psm],
            capture_output=True,
            text=True,
            check=False,
        )
        if res.returncode != 0:
            raise RuntimeError(res.stderr.strip()[-300:])
        return res.stdout

    return read


def deep_reader() -> Callable[[Path], str]:
    """``page -> text`` with :func:`foveal.api.read_text` (lines joined by newlines)."""
    import foveal.api as api

    return lambda path: "\n".join(api.read_text(path).texts)


def run_ocr(cfg: Settings) -> list[Row]:
    """Character accuracy (1 - mean CER over the pages) of each reader."""
    pages = ocr_pages(cfg.shared)
    cfg.log(f"OCR: {len(pages)} pages ({', '.join(p.name for p, _ in pages)})")
    rows = []
    readers = (
        ("Tesseract 5 (LSTM)", "classical", tesseract_reader),
        ("deep pipeline (foveal.read_text)", "deep", deep_reader),
    )
    for method, kind, factory in readers:
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
        except Skip as exc:
            row.note = f"skipped: {exc}"
        except Exception as exc:  # noqa: BLE001 - a failing method is a row with a note
            row.note = f"failed: {type(exc).__name__}: {exc}"
        rows.append(row)
        cfg.log(f"  {fmt_row(row)}")
    return rows
