"""PDF pages as images (rendered with pypdfium2)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from foveal.errors import ConfigError, ImageError


def is_pdf(path: str | os.PathLike) -> bool:
    """Whether the name ends in ``.pdf``.

    >>> is_pdf("scan.PDF")
    True
    """
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
