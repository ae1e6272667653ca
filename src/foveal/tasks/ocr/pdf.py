"""PDF pages as images (rendered with pypdfium2), and input expansion for ``foveal read``."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from foveal.errors import ConfigError, ImageError


def is_pdf(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() == ".pdf"


def render_pdf(path: str | os.PathLike, *, dpi: float = 200.0) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(page number from 1, RGB uint8 array)`` for each page of a PDF, rendered at ``dpi``.

    Raises:
        ImageError: the file is not a readable PDF (or is encrypted).
    """
    try:
        import pypdfium2 as pdfium
    except ImportError as exc:  # pragma: no cover - part of foveal[ocr]
        raise ConfigError("reading PDFs needs pypdfium2: pip install 'foveal[ocr]'") from exc
    name = os.fspath(path)
    try:
        doc = pdfium.PdfDocument(name)
    except Exception as exc:  # noqa: BLE001 - pdfium raises PdfiumError and OSError
        raise ImageError(f"{name} is not a PDF foveal can open: {exc}", name) from exc
    try:
        for i in range(len(doc)):
            page = doc[i]
            try:
                bitmap = page.render(scale=dpi / 72.0)
                rgb = np.asarray(bitmap.to_pil().convert("RGB"))
            finally:
                page.close()
            yield i + 1, rgb
    finally:
        doc.close()


def expand_inputs(inputs: Sequence[str | os.PathLike]) -> list[Path]:
    """Image files and PDFs from files, folders (recursively) and glob patterns, sorted per input."""
    from foveal.io import expand_sources

    out: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            files = expand_sources(p)
            files += [f for f in p.rglob("*") if f.is_file() and is_pdf(f)]
            out.extend(sorted(set(files)))
        else:
            out.extend(expand_sources(item))
    return out
