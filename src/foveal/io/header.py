"""Read a JPEG's or PNG's header straight from its bytes, without decoding a pixel.

:func:`plain_size` tells whether a file is *plain* — a complete 8-bit RGB or grayscale JPEG or PNG
with no transparency and no rotation to apply — and its size. For a plain file OpenCV's decoder
gives exactly the pixels of the Pillow path (:func:`foveal.io.load_image` then takes it; about
3x faster). Anything unusual, or anything this reader is not sure of, is "not plain": the Pillow
path decodes it, or says what is wrong with it. Walking the markers takes a few microseconds,
where opening the file with Pillow to ask took 0.1-0.3 ms per JPEG and a full decode per PNG
(Pillow looks for a PNG's orientation after the pixel data).

>>> import cv2, numpy as np
>>> ok, png = cv2.imencode(".png", np.zeros((3, 5, 3), np.uint8))
>>> plain_size(png.tobytes())
(5, 3)
>>> ok, rgba = cv2.imencode(".png", np.zeros((3, 5, 4), np.uint8))
>>> plain_size(rgba.tobytes()) is None                 # transparency: the Pillow path
True
"""

from __future__ import annotations

import struct

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

_ORIENTATION_TAG = 0x0112
_PLAIN_SOF = frozenset({0xC0, 0xC1, 0xC2})  # baseline, extended and progressive Huffman
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})  # TEM, RSTn, SOI: no length field
_XMP_KEYS = (b"XML:com.adobe.xmp", b"Raw profile type exif")


def plain_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` of a plain JPEG or PNG (see the module doc), else ``None``."""
    if data.startswith(JPEG_MAGIC):
        return _jpeg(data)
    if data.startswith(PNG_MAGIC):
        return _png(data)
    return None


def _jpeg(data: bytes) -> tuple[int, int] | None:
    if not data.rstrip(b"\x00\r\n ").endswith(b"\xff\xd9"):
        return None  # truncated: Pillow says so, OpenCV would fill the rest with grey
    size: tuple[int, int] | None = None
    exif_segments = 0
    at, end = 2, len(data)
    while at + 4 <= end:
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in _STANDALONE:
            at += 2
            continue
        (length,) = struct.unpack_from(">H", data, at + 2)
        body = data[at + 4 : at + 2 + length]
        if length < 2 or len(body) != length - 2:
            return None
        if marker == 0xDA:  # start of scan: every header segment has been seen
            return size if exif_segments <= 1 else None
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a frame header
            if marker not in _PLAIN_SOF or size is not None or len(body) < 6:
                return None
            bits, height, width, channels = struct.unpack_from(">BHHB", body)
            if bits != 8 or channels not in (1, 3) or height == 0 or width == 0:
                return None
            size = (width, height)
        elif marker == 0xE1:  # APP1: EXIF or XMP
            if body.startswith(b"Exif\x00\x00"):
                exif_segments += 1
                if _tiff_orientation(body[6:]) != 1:
                    return None
            elif b"Orientation" in body:
                return None  # an XMP orientation: Pillow applies it
        at += 2 + length
    return None


def _png(data: bytes) -> tuple[int, int] | None:
    at, end = len(PNG_MAGIC), len(data)
    size: tuple[int, int] | None = None
    while at + 12 <= end:
        length, kind = struct.unpack_from(">I4s", data, at)
        body_at = at + 8
        if body_at + length + 4 > end:
            return None  # truncated
        if kind == b"IHDR":
            if length < 13 or size is not None:
                return None
            width, height, bits, colour = struct.unpack_from(">IIBB", data, body_at)
            if bits != 8 or colour not in (0, 2) or width == 0 or height == 0:
                return None  # not 8-bit grey or RGB (palette, alpha, 1-4 or 16 bits)
            size = (width, height)
        elif size is None:
            return None  # IHDR must come first
        elif kind == b"tRNS":
            return None  # a transparent colour
        elif kind == b"eXIf":
            if _tiff_orientation(data[body_at : body_at + length]) != 1:
                return None
        elif kind in (b"tEXt", b"zTXt", b"iTXt"):
            keyword = data[body_at : body_at + min(length, 80)].split(b"\x00", 1)[0]
            if keyword in _XMP_KEYS:
                return None  # orientation Pillow could find in a text chunk
        elif kind == b"IEND":
            return size
        at = body_at + length + 4
    return None


def _tiff_orientation(tiff: bytes) -> int | None:
    """The orientation tag of a TIFF/EXIF block's first directory (1 when absent), ``None`` when
    the block cannot be read with certainty."""
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return None
    order = "<" if tiff[:2] == b"II" else ">"
    magic, offset = struct.unpack_from(order + "HI", tiff, 2)
    if magic != 42 or offset + 2 > len(tiff):
        return None
    (count,) = struct.unpack_from(order + "H", tiff, offset)
    if offset + 2 + 12 * count > len(tiff):
        return None
    for k in range(count):
        tag, kind, n = struct.unpack_from(order + "HHI", tiff, offset + 2 + 12 * k)
        if tag == _ORIENTATION_TAG:
            if kind != 3 or n != 1:
                return None
            return struct.unpack_from(order + "H", tiff, offset + 2 + 12 * k + 8)[0]
    return 1
