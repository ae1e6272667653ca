"""Safe image loading: one loader for paths, bytes, numpy arrays and PIL images.

Every image comes back as an RGB ``uint8`` numpy array of shape ``(H, W, 3)``:

* EXIF orientation is applied, so a phone photo comes out the way it was taken;
* grayscale, palette, CMYK, 16-bit and float images are converted to 8-bit RGB;
* transparent pixels (RGBA, LA, palette with transparency) are composited on white;
* images with more than ``max_pixels`` pixels are refused *before* decoding (decompression bombs);
* a corrupt, truncated, empty or non-image file raises :class:`foveal.errors.ImageError` naming it,
  and so does a file the system cannot read (permissions, a folder, an I/O error), with the reason;
* conversion works on bands of rows, so memory stays near the size of the decoded image.

>>> from foveal.io import load_image
>>> img = load_image("cat.jpg")
>>> img.shape, img.dtype
((300, 451, 3), dtype('uint8'))

For many files, folders, videos and PDFs use :func:`foveal.io.iter_sources`.
"""

from __future__ import annotations

import io as _io
import os
import stat
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from foveal.errors import ImageError
from foveal.io.header import plain_size

DEFAULT_MAX_PIXELS = 100_000_000
"""Default pixel limit (100 megapixels). Override per call or with ``FOVEAL_MAX_PIXELS``."""

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm"}
)

ImageSource = str | os.PathLike | bytes | bytearray | memoryview | np.ndarray | Image.Image

_PIL_LIMIT_LOCK = threading.Lock()


def default_max_pixels() -> int:
    env = os.environ.get("FOVEAL_MAX_PIXELS")
    if env:
        try:
            return int(env)
        except ValueError as exc:
            raise ImageError(
                f"FOVEAL_MAX_PIXELS={env!r} is not a whole number; set it to a pixel count such as "
                "200000000"
            ) from exc
    return DEFAULT_MAX_PIXELS


def describe_source(source: object) -> str:
    """A short human name for an image source, used in messages and reports."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f"<{len(source)} bytes>"
    if isinstance(source, np.ndarray):
        return f"<array {source.shape} {source.dtype}>"
    if isinstance(source, Image.Image):
        return f"<PIL {source.mode} {source.size[0]}x{source.size[1]}>"
    return f"<{type(source).__name__}>"


def load_image(source: ImageSource, *, max_pixels: int | None = None) -> np.ndarray:
    """Load any supported image source as an RGB ``uint8`` array ``(H, W, 3)``.

    Args:
        source: a file path, encoded bytes, a numpy array (HxW, HxWx1, HxWx3 RGB, HxWx4 RGBA;
            uint8, uint16 or float in [0, 1]) or a PIL image.
        max_pixels: refuse images larger than this many pixels (default 100 MP or
            ``FOVEAL_MAX_PIXELS``).

    Raises:
        ImageError: the source is unreadable (the system's reason is in the message), not an
            image, or too large. Too large (over ``max_pixels``, or a decompression bomb) sets
            ``too_large=True`` on the error; no Pillow ``DecompressionBombError`` escapes.
    """
    limit = default_max_pixels() if max_pixels is None else int(max_pixels)
    if isinstance(source, np.ndarray):
        return _from_array(source, limit)
    if isinstance(source, Image.Image):
        _check_size(source.size, limit, describe_source(source))
        return _to_rgb_array(ImageOps.exif_transpose(source), describe_source(source))
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = describe_source(source)
        if not data:
            raise ImageError("received 0 bytes; expected an encoded image (JPEG, PNG, ...)", name)
        fast = fast_decode(data, name, limit)
        return fast if fast is not None else _decode(_io.BytesIO(data), name, limit)
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        try:
            return _load_path(Path(source), name, limit)
        except OSError as exc:
            raise read_error(name, exc) from exc
    raise ImageError(
        f"cannot load an image from {type(source).__name__}; expected a path, bytes, "
        "a numpy array or a PIL image",
        describe_source(source),
    )


def read_error(name: str, exc: OSError) -> ImageError:
    """The one-line :class:`ImageError` for a file the system could not read (``exc``)."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if isinstance(exc, PermissionError):
        fix = "check its permissions (and its folder's)"
    elif isinstance(exc, IsADirectoryError):
        fix = "expected an image file, not a folder"
    else:
        fix = "check the file and the disk it is on"
    return ImageError(f"{name} could not be read ({reason}); {fix}", name)


def _load_path(path: Path, name: str, limit: int) -> np.ndarray:
    try:
        info = path.stat()  # one system call answers every question below
    except (FileNotFoundError, NotADirectoryError):
        raise ImageError(f"{name}: no such file; check the path", name) from None
    if stat.S_ISDIR(info.st_mode):
        raise ImageError(
            f"{name} is a folder; expected an image file (use iter_images for folders)", name
        )
    if not stat.S_ISREG(info.st_mode):
        raise ImageError(f"{name} is not a regular file (a device, pipe or socket)", name)
    if info.st_size == 0:
        raise ImageError(f"{name} is empty (0 bytes); expected an image file", name)
    with open(path, "rb") as fh:
        data = fh.read()
    fast = fast_decode(data, name, limit)
    return fast if fast is not None else _decode(_io.BytesIO(data), name, limit)


def fast_decode(data: bytes, name: str, limit: int) -> np.ndarray | None:
    """OpenCV's decoder (about 3x faster than the Pillow path here) for the files where it gives
    exactly what the Pillow path gives: complete 8-bit RGB or grayscale JPEGs and PNGs without
    transparency or rotation to apply (:func:`foveal.io.header.plain_size`, read from the bytes).
    ``None`` for every other file (the Pillow path then decodes it, or explains why it cannot).
    The size limit is checked from the header, before decoding.
    """
    size = plain_size(data)
    if size is None:
        return None
    _check_size(size, limit, name)
    import cv2

    # decoded straight to RGB (no BGR -> RGB pass; pixel-identical to it)
    flags = cv2.IMREAD_COLOR_RGB | cv2.IMREAD_IGNORE_ORIENTATION
    rgb = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if rgb is None or rgb.shape[:2] != (size[1], size[0]):
        return None
    return rgb


def _check_size(size: tuple[int, int], limit: int, name: str) -> None:
    w, h = size
    if w <= 0 or h <= 0:
        raise ImageError(f"{name} has an empty size {w}x{h}", name)
    if w * h > limit:
        raise ImageError(
            f"{name} is too large: {w}x{h} = {w * h:,} pixels, over the limit of {limit:,} "
            "(a possible decompression bomb); pass max_pixels=... or set FOVEAL_MAX_PIXELS "
            "if you trust this file",
            name,
            too_large=True,
        )


def _system_failure(exc: BaseException) -> bool:
    """An error of the system (permissions, I/O) rather than of the file's content."""
    return isinstance(exc, OSError) and exc.errno is not None


def _bomb(name: str, exc: BaseException) -> ImageError:
    return ImageError(
        f"{name} is too large: {exc} (a possible decompression bomb); pass max_pixels=... or set "
        "FOVEAL_MAX_PIXELS if you trust this file",
        name,
        too_large=True,
    )


def _decode(fh: _io.BufferedIOBase, name: str, limit: int) -> np.ndarray:
    with _PIL_LIMIT_LOCK, warnings.catch_warnings():
        # We enforce our own limit below, from the header, before any pixel is decoded.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            img = Image.open(fh)
        except UnidentifiedImageError as exc:
            raise ImageError(
                f"{name} is not an image foveal can read (not JPEG, PNG, TIFF, BMP, GIF, WebP ...)",
                name,
            ) from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb(name, exc) from exc
        except Exception as exc:  # noqa: BLE001 - PIL raises many types for broken headers
            if _system_failure(exc):
                raise
            raise ImageError(f"{name} could not be opened: {exc}", name) from exc
        finally:
            Image.MAX_IMAGE_PIXELS = saved
    _check_size(img.size, limit, name)
    try:
        img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb(name, exc) from exc
    except Exception as exc:  # noqa: BLE001 - OSError for truncation, SyntaxError for bad chunks
        if _system_failure(exc):
            raise
        raise ImageError(
            f"{name} is corrupt or truncated and could not be decoded: {exc}", name
        ) from exc
    _check_size(img.size, limit, name)  # a format may only know its real size once loaded
    try:
        img = ImageOps.exif_transpose(img)
    except Exception:  # noqa: BLE001 - a broken EXIF block must not lose the image
        pass
    return _to_rgb_array(img, name)


_TILE_BYTES = 32 << 20
"""Working memory of one band of rows during conversion (float64, 4 channels: 32 bytes a pixel)."""

_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
_KEPT_MODES = frozenset({"RGB", "RGBA", "L", "I", "F", "I;16", "I;16B", "I;16L", "I;16N"})


def _bands(height: int, width: int) -> Iterator[tuple[int, int]]:
    step = max(1, _TILE_BYTES // max(1, 32 * width))
    for r0 in range(0, height, step):
        yield r0, min(height, r0 + step)


def _to_rgb_array(img: Image.Image, name: str) -> np.ndarray:
    """RGB uint8 from any PIL mode, one band of rows at a time (memory: the output plus a band)."""
    mode = img.mode
    peak: float | None = None
    if mode.startswith("I;16"):
        peak = 65535.0
    elif mode in ("I", "F"):
        hi = img.getextrema()[1]
        if mode == "I":
            peak = 65535.0 if hi > 255 else 255.0
        else:
            peak = 1.0 if hi <= 1.0 else 255.0
    width, height = img.size
    out = np.empty((height, width, 3), np.uint8)
    try:
        for r0, r1 in _bands(height, width):
            band = img if (r0, r1) == (0, height) else img.crop((0, r0, width, r1))
            if mode == "P":
                band = band.convert("RGBA" if "transparency" in img.info else "RGB")
            elif mode in _ALPHA_MODES:
                band = band.convert("RGBA")
            elif mode == "1":
                band = band.convert("L")
            elif mode not in _KEPT_MODES:
                band = band.convert("RGB")  # CMYK, YCbCr, LAB, HSV, ...
            out[r0:r1] = _band_to_rgb(np.asarray(band), peak, name)
    except ImageError:
        raise
    except (ValueError, OSError) as exc:
        raise ImageError(
            f"{name} has pixel mode {mode!r}, which cannot be converted to RGB: {exc}", name
        ) from exc
    return out


def _band_to_rgb(arr: np.ndarray, peak: float | None, name: str) -> np.ndarray:
    """One band of rows, (h, w), (h, w, 3) or (h, w, 4), to RGB uint8. ``peak`` is the value
    that maps to 255 for non-uint8 bands."""
    if arr.dtype != np.uint8:
        if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
            raise ImageError(f"{name} contains NaN or infinite values", name)
        scaled = arr.astype(np.float64) / (peak or 255.0) * 255.0 + 0.5
        arr = np.clip(scaled, 0, 255).astype(np.uint8)
    if arr.ndim == 2:
        return _gray_to_rgb(arr)
    if arr.shape[2] == 4:
        return _composite_on_white(arr.astype(np.float32))
    return arr


def _composite_on_white(rgba: np.ndarray) -> np.ndarray:
    alpha = rgba[..., 3:4] / 255.0
    rgb = rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


def _gray_to_rgb(gray: np.ndarray) -> np.ndarray:
    return np.repeat(gray[..., None], 3, axis=2)


def _from_array(arr: np.ndarray, limit: int) -> np.ndarray:
    name = describe_source(arr)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise ImageError(
            f"got an array of shape {arr.shape}; expected (H, W), (H, W, 1), (H, W, 3) RGB "
            "or (H, W, 4) RGBA",
            name,
        )
    _check_size((arr.shape[1], arr.shape[0]), limit, name)
    if arr.dtype == np.uint8 and arr.ndim == 3 and arr.shape[2] == 3:
        return np.ascontiguousarray(arr)
    if arr.dtype == np.bool_:
        arr = arr.view(np.uint8) * np.uint8(255)
    peak: float | None = None
    if arr.dtype == np.uint16:
        peak = 65535.0
    elif np.issubdtype(arr.dtype, np.floating):
        peak = 1.0 if arr.max(initial=0.0) <= 1.0 else 255.0
    elif np.issubdtype(arr.dtype, np.integer) and arr.dtype != np.uint8:
        if arr.min(initial=0) < 0 or arr.max(initial=0) > 255:
            raise ImageError(
                f"{name} has integer values outside 0..255; expected 8-bit pixel values", name
            )
        peak = 255.0
    elif arr.dtype != np.uint8:
        raise ImageError(
            f"{name}: unsupported dtype {arr.dtype}; expected uint8, uint16 or float", name
        )
    height, width = arr.shape[:2]
    out = np.empty((height, width, 3), np.uint8)
    for r0, r1 in _bands(height, width):
        out[r0:r1] = _band_to_rgb(arr[r0:r1], peak, name)
    return out
