"""PDF pages as images (rendered with pypdfium2), capped by the same pixel limit as images."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from foveal.errors import ConfigError, ImageError
from foveal.io.image import default_max_pixels, read_error


def is_pdf(path: str | os.PathLike) -> bool:
    """Whether the name ends in ``.pdf``.

    >>> is_pdf("scan.PDF")
    True
    """
    return Path(path).suffix.lower() == ".pdf"


def render_scale(
    width_pt: float, height_pt: float, dpi: float, max_pixels: int
) -> tuple[float, bool]:
    """``(scale, reduced)``: pixels per point for a page of ``width_pt`` x ``height_pt`` points at
    ``dpi``, lowered (``reduced=True``) so that the bitmap stays within ``max_pixels``.

    >>> render_scale(612, 792, 72, 100_000_000)
    (1.0, False)
    >>> scale, reduced = render_scale(14400, 14400, 300, 100_000_000)
    >>> reduced, math.ceil(14400 * scale) ** 2 <= 100_000_000
    (True, True)
    """
    scale = dpi / 72.0
    if math.ceil(width_pt * scale) * math.ceil(height_pt * scale) <= max_pixels:
        return scale, False
    scale = math.sqrt(max_pixels / (width_pt * height_pt))
    while scale > 0 and math.ceil(width_pt * scale) * math.ceil(height_pt * scale) > max_pixels:
        scale *= 0.999
    return scale, True


def render_pdf(
    path: str | os.PathLike,
    *,
    dpi: float = 200.0,
    max_pixels: int | None = None,
    pages: Sequence[int] | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(page number from 1, RGB uint8 array)`` for each page of a PDF (or each of
    ``pages``, numbered from 1), rendered at ``dpi``.

    A page that would render to more than ``max_pixels`` pixels (default 100 MP or
    ``FOVEAL_MAX_PIXELS``) is rendered at the highest resolution that fits, with a
    ``UserWarning`` that says so.

    Raises:
        ImageError: the file is not a readable PDF, is encrypted, has no pages, or a page cannot
            be rendered.
    """
    try:
        import pypdfium2 as pdfium
    except ImportError as exc:  # pragma: no cover - part of foveal[ocr]
        raise ConfigError("reading PDFs needs pypdfium2: pip install 'foveal[ocr]'") from exc
    if not dpi > 0:
        raise ConfigError(f"dpi must be a positive number, got {dpi}; 150 to 300 suits most scans")
    limit = default_max_pixels() if max_pixels is None else int(max_pixels)
    name = os.fspath(path)
    try:
        with open(name, "rb") as fh:
            fh.read(1)
        doc = pdfium.PdfDocument(name)
    except OSError as exc:
        raise read_error(name, exc) from exc
    except Exception as exc:  # noqa: BLE001 - pdfium raises PdfiumError
        if "password" in str(exc).lower():
            raise ImageError(
                f"{name} is encrypted (password protected); decrypt it first, e.g. "
                "qpdf --decrypt --password=... in.pdf out.pdf",
                name,
            ) from exc
        raise ImageError(f"{name} is not a PDF foveal can open: {exc}", name) from exc
    try:
        if len(doc) == 0:
            raise ImageError(f"{name} has no pages", name)
        for number in range(1, len(doc) + 1) if pages is None else pages:
            if not 1 <= number <= len(doc):
                raise ImageError(f"{name} has {len(doc)} page(s); there is no page {number}", name)
            yield number, _render_page(doc, number - 1, name, dpi, limit)
    finally:
        doc.close()


def read_pdf_page(path: str | os.PathLike, page: int, *, dpi: float = 200.0) -> np.ndarray:
    """One page (numbered from 1) of a PDF as RGB, as :func:`render_pdf` renders it."""
    return next(render_pdf(path, dpi=dpi, pages=[page]))[1]


def _render_page(doc: object, i: int, name: str, dpi: float, limit: int) -> np.ndarray:
    where = f"{name} page {i + 1}"
    try:
        page = doc[i]  # type: ignore[index]
    except Exception as exc:  # noqa: BLE001 - PdfiumError for a broken page object
        raise ImageError(f"{where} could not be loaded: {exc}", name) from exc
    try:
        width, height = page.get_size()
        if not (width > 0 and height > 0 and math.isfinite(width * height)):
            raise ImageError(f"{where} has an empty or invalid size {width}x{height} pt", name)
        scale, reduced = render_scale(width, height, dpi, limit)
        if reduced:
            warnings.warn(
                f"{where} is {width:.0f}x{height:.0f} pt: at {dpi:g} dpi it would be over the "
                f"limit of {limit:,} pixels, so it is rendered at {scale * 72:.0f} dpi "
                "(set FOVEAL_MAX_PIXELS to allow more)",
                UserWarning,
                stacklevel=2,
            )
        try:
            bitmap = page.render(scale=scale, rev_byteorder=True)
        except Exception as exc:  # noqa: BLE001 - PdfiumError when the bitmap cannot be made
            raise ImageError(f"{where} could not be rendered: {exc}", name) from exc
        try:
            arr = bitmap.to_numpy()
            rgb = np.array(arr[..., :3] if arr.ndim == 3 else np.repeat(arr[..., None], 3, 2))
        finally:
            bitmap.close()
        return rgb
    finally:
        page.close()
