"""OCR accuracy: character and word error rates (Levenshtein edit distance), and a folder runner.

The ``evaluate`` entry of the ``ocr`` task (:data:`foveal.tasks.TASKS`) is :func:`evaluate_ocr`.

CER = edit distance between the recognised and the reference characters / reference length;
WER = the same over words. Both can exceed 1 when the output has many extra characters.

**Normalisation** (the default, ``normalize_text``): Unicode NFC, then every run of whitespace —
spaces, tabs, line breaks, blank lines between paragraphs — becomes one space, and the ends are
stripped. So layout (where lines break, blank lines) is not scored, but a missing or extra space
between words is one error. ``keep_lines=True`` keeps one line break between non-empty lines
(blank lines still dropped) for when line segmentation should count.

>>> round(cer("The quick  brown\\nfox", "The quick brown fox"), 3)
0.0
>>> round(wer("the cat sat", "the cat sat down"), 3)
0.25
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from foveal.errors import ConfigError, FovealError
from foveal.ops import edit_distance


def normalize_text(text: str, *, keep_lines: bool = False) -> str:
    """NFC, whitespace runs -> one space, ends stripped (``keep_lines``: one ``\\n`` between lines).

    >>> normalize_text("  a  b\\n\\n c\\t")
    'a b c'
    >>> normalize_text("  a  b\\n\\n c\\t", keep_lines=True)
    'a b\\nc'
    """
    text = unicodedata.normalize("NFC", text)
    if keep_lines:
        lines = (" ".join(line.split()) for line in text.splitlines())
        return "\n".join(line for line in lines if line)
    return " ".join(text.split())


def cer(
    hypothesis: str, reference: str, *, normalize: bool = True, keep_lines: bool = False
) -> float:
    """Character error rate of ``hypothesis`` against ``reference`` (0 is perfect)."""
    if normalize:
        hypothesis = normalize_text(hypothesis, keep_lines=keep_lines)
        reference = normalize_text(reference, keep_lines=keep_lines)
    if not reference:
        return 0.0 if not hypothesis else 1.0
    return edit_distance(hypothesis, reference) / len(reference)


def wer(hypothesis: str, reference: str) -> float:
    """Word error rate: edit distance over whitespace-separated words / reference word count."""
    h = normalize_text(hypothesis).split()
    r = normalize_text(reference).split()
    if not r:
        return 0.0 if not h else 1.0
    return edit_distance(h, r) / len(r)


def word_f1(hypothesis: str, reference: str, *, ignore_case: bool = True) -> float:
    """Order-free word F1: the words (whitespace-separated, as multisets) both texts share.

    >>> word_f1("total 29.68 cash", "Cash Total 29.68")
    1.0
    >>> round(word_f1("total 29.68", "cash total 29.68"), 3)
    0.8
    """
    from collections import Counter

    h, r = normalize_text(hypothesis), normalize_text(reference)
    if ignore_case:
        h, r = h.lower(), r.lower()
    hc, rc = Counter(h.split()), Counter(r.split())
    if not rc:
        return 1.0 if not hc else 0.0
    common = sum((hc & rc).values())
    if not common:
        return 0.0
    precision, recall = common / sum(hc.values()), common / sum(rc.values())
    return 2 * precision * recall / (precision + recall)


@dataclass
class OcrScore:
    """Scores of one page, or totals over pages (rates over all characters / words together)."""

    source: str
    char_errors: int
    chars: int
    word_errors: int
    words: int
    seconds: float = 0.0

    @property
    def cer(self) -> float:
        return self.char_errors / self.chars if self.chars else float(self.char_errors > 0)

    @property
    def wer(self) -> float:
        return self.word_errors / self.words if self.words else float(self.word_errors > 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "cer": round(self.cer, 6),
            "wer": round(self.wer, 6),
            "char_errors": self.char_errors,
            "chars": self.chars,
            "word_errors": self.word_errors,
            "words": self.words,
            "seconds": round(self.seconds, 4),
        }


def score_page(source: str, hypothesis: str, reference: str, seconds: float = 0.0) -> OcrScore:
    """Character and word errors of one page (normalised as described in the module docstring)."""
    h, r = normalize_text(hypothesis), normalize_text(reference)
    return OcrScore(
        source=source,
        char_errors=edit_distance(h, r),
        chars=len(r),
        word_errors=edit_distance(h.split(), r.split()),
        words=len(r.split()),
        seconds=seconds,
    )


@dataclass
class OcrReport:
    pages: list[OcrScore] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total(self) -> OcrScore:
        return OcrScore(
            "total",
            sum(p.char_errors for p in self.pages),
            sum(p.chars for p in self.pages),
            sum(p.word_errors for p in self.pages),
            sum(p.words for p in self.pages),
            sum(p.seconds for p in self.pages),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "pages": [p.to_dict() for p in self.pages],
            "total": self.total.to_dict(),
            "skipped": [{"source": s, "error": e} for s, e in self.skipped],
        }


GT_SUFFIXES = (".gt.txt", ".gold.txt", ".txt")


def find_ground_truth(image: str | os.PathLike) -> Path | None:
    """The transcript next to an image: ``NAME.gt.txt``, ``NAME.gold.txt`` or ``NAME.txt``."""
    p = Path(image)
    base = p.with_suffix("")
    for suffix in GT_SUFFIXES:
        cand = base.with_name(base.name + suffix)
        if cand.is_file():
            return cand
    return None


def pairs_from(
    inputs: Sequence[str | os.PathLike], mapping: str | os.PathLike | None = None
) -> list[tuple[Path, Path]]:
    """``(image, transcript)`` pairs: from a mapping file (lines ``IMAGE<TAB>TRANSCRIPT``, relative
    to the mapping's folder), or the images among ``inputs`` that have a transcript next to them.
    """
    from foveal.io import expand_sources

    if mapping is not None:
        mp = Path(mapping)
        out = []
        for n, line in enumerate(mp.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 2:
                raise ConfigError(f"{mp}:{n}: expected 'IMAGE<TAB>TRANSCRIPT', got {line!r}")
            out.append(((mp.parent / parts[0].strip()), (mp.parent / parts[1].strip())))
        return out
    out = []
    for img in expand_sources(inputs):
        gt = find_ground_truth(img)
        if gt is not None:
            out.append((img, gt))
    if not out:
        raise ConfigError(
            "no image with a transcript found; put NAME.gt.txt (or NAME.gold.txt / NAME.txt) next "
            "to each image, or pass --mapping FILE with lines 'IMAGE<TAB>TRANSCRIPT'"
        )
    return out


def evaluate_ocr(reader: Any, pairs: Sequence[tuple[Path, Path]]) -> OcrReport:
    """Read each image with ``reader`` (a :class:`foveal.tasks.ocr.TextReader`) and score it;
    unreadable images are skipped into the report."""
    import time

    report = OcrReport()
    for image, gt in pairs:
        try:
            reference = Path(gt).read_text(encoding="utf-8")
            t = time.perf_counter()
            text = reader.predict(image).text
            seconds = time.perf_counter() - t
        except (FovealError, OSError) as exc:
            report.skipped.append((str(image), str(exc)))
            continue
        report.pages.append(score_page(str(image), text, reference, seconds))
    return report
