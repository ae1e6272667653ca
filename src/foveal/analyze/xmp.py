"""Write analysis results into an image's XMP metadata, without re-encoding its pixels.

* keywords (``dc:subject``): the top class, detected object names, ``face`` and identified names;
* OCR text (``dc:description``);
* face boxes as Metadata Working Group face regions (``mwg-rs:Regions``, normalised centre/size),
  which photo managers (digiKam, Lightroom, ...) show as face tags.

JPEG gets an APP1 XMP segment, PNG an ``iTXt`` chunk (``XML:com.adobe.xmp``); any XMP packet already
there is replaced, every other byte is kept. Other formats get a sidecar ``NAME.EXT.xmp``. Writes
are atomic (temporary file + rename), so an interrupted write never leaves a broken image.

>>> from foveal.analyze.pipeline import analyze_items
>>> from foveal.analyze.sources import iter_items
>>> from foveal.analyze.xmp import keywords, write_metadata
>>> [(_, _, record)] = analyze_items(iter_items(["cat.jpg"]), ["classify"])
>>> keywords(record)
['Egyptian cat']
>>> write_metadata("cat.jpg", record, "tagged/cat.jpg")
PosixPath('tagged/cat.jpg')
>>> b"Egyptian cat" in open("tagged/cat.jpg", "rb").read()
True
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from foveal.errors import FovealError
from foveal.utils.files import atomic_write_bytes, new_file_mode

XMP_JPEG_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_XMP_KEYWORD = b"XML:com.adobe.xmp"
MAX_TEXT = 20_000  # characters of OCR text kept (a JPEG XMP segment holds at most 64 KB)


class MetadataError(FovealError):
    """An image's metadata could not be written."""


def keywords(record: dict[str, Any]) -> list[str]:
    """Keywords for a record: top class, object names, ``face`` and known names (unique, in
    order)."""
    words: list[str] = []
    top = (record.get("classify") or {}).get("top") or []
    if top:
        words.append(top[0]["name"])
    words += [d["name"] for d in (record.get("detect") or {}).get("detections", [])]
    for key in ("faces", "identify"):
        faces = (record.get(key) or {}).get("faces", [])
        if faces:
            words.append("face")
        words += [f["name"] for f in faces if f.get("name") and f["name"] != "unknown"]
    return list(dict.fromkeys(w for w in words if w))


def build_xmp(record: dict[str, Any]) -> bytes:
    """An XMP packet (UTF-8) for a record."""
    w, h = record.get("width"), record.get("height")
    parts = [
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>',
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="foveal">',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"'
        ' xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#"'
        ' xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#">',
    ]
    words = keywords(record)
    if words:
        parts.append(
            "<dc:subject><rdf:Bag>"
            + "".join(f"<rdf:li>{escape(k)}</rdf:li>" for k in words)
            + "</rdf:Bag></dc:subject>"
        )
    text = (record.get("ocr") or {}).get("text", "")
    if text:
        parts.append(
            '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">'
            f"{escape(text[:MAX_TEXT])}</rdf:li></rdf:Alt></dc:description>"
        )
    faces = (record.get("identify") or record.get("faces") or {}).get("faces", [])
    if faces and w and h:
        regions = []
        for f in faces:
            x1, y1, x2, y2 = f["box"]
            area = (
                f'<mwg-rs:Area stArea:x="{(x1 + x2) / 2 / w:.6f}"'
                f' stArea:y="{(y1 + y2) / 2 / h:.6f}"'
                f' stArea:w="{(x2 - x1) / w:.6f}" stArea:h="{(y2 - y1) / h:.6f}"'
                ' stArea:unit="normalized"/>'
            )
            name = f.get("name")
            named = (
                f"<mwg-rs:Name>{escape(name)}</mwg-rs:Name>" if name and name != "unknown" else ""
            )
            regions.append(
                f'<rdf:li rdf:parseType="Resource"><mwg-rs:Type>Face</mwg-rs:Type>{named}{area}'
                "</rdf:li>"
            )
        parts.append(
            '<mwg-rs:Regions rdf:parseType="Resource">'
            f"<mwg-rs:AppliedToDimensions stDim:w={quoteattr(str(w))} stDim:h={quoteattr(str(h))} "
            'stDim:unit="pixel"/>'
            "<mwg-rs:RegionList><rdf:Bag>"
            + "".join(regions)
            + "</rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>"
        )
    parts += ["</rdf:Description>", "</rdf:RDF>", "</x:xmpmeta>", '<?xpacket end="w"?>']
    return "".join(parts).encode("utf-8")


def embed_jpeg(data: bytes, packet: bytes) -> bytes:
    """JPEG bytes with ``packet`` as its XMP APP1 segment (an existing one is replaced)."""
    if data[:2] != b"\xff\xd8":
        raise MetadataError("not a JPEG file (no SOI marker)")
    payload = XMP_JPEG_HEADER + packet
    if len(payload) + 2 > 0xFFFF:
        raise MetadataError(f"XMP packet of {len(packet)} bytes is too large for one JPEG segment")
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    pos, insert_at = 2, 1
    kept = [data[:2]]
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise MetadataError(f"broken JPEG marker at byte {pos}")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xDA, 0xD9):  # start of scan / end of image: the rest is kept verbatim
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            kept.append(data[pos : pos + 2])
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise MetadataError(f"broken JPEG segment at byte {pos}")
        seg = data[pos:end]
        is_xmp = marker == 0xE1 and seg[4 : 4 + len(XMP_JPEG_HEADER)] == XMP_JPEG_HEADER
        if not is_xmp:
            kept.append(seg)
            if marker in (0xE0, 0xE1) and insert_at == len(kept) - 1:
                insert_at = len(kept)
        pos = end
    else:
        raise MetadataError("JPEG file ends before its image data (truncated)")
    kept.insert(insert_at, segment)
    return b"".join(kept) + data[pos:]


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def embed_png(data: bytes, packet: bytes) -> bytes:
    """PNG bytes with ``packet`` in an ``iTXt`` XMP chunk before the image data (an existing one is
    replaced)."""
    if data[:8] != PNG_SIGNATURE:
        raise MetadataError("not a PNG file (bad signature)")
    out = [PNG_SIGNATURE]
    new = _png_chunk(b"iTXt", PNG_XMP_KEYWORD + b"\x00\x00\x00\x00\x00" + packet)
    pos, inserted = 8, False
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise MetadataError(f"PNG chunk {kind!r} at byte {pos} is truncated")
        chunk = data[pos:end]
        if kind == b"iTXt" and chunk[8 : 8 + len(PNG_XMP_KEYWORD) + 1] == PNG_XMP_KEYWORD + b"\x00":
            pos = end
            continue
        if kind == b"IDAT" and not inserted:
            out.append(new)
            inserted = True
        out.append(chunk)
        pos = end
        if kind == b"IEND":
            break
    if not inserted:
        raise MetadataError("PNG file has no image data (IDAT)")
    return b"".join(out)


def default_mode() -> int:
    """Permissions a new file gets under the current umask (mkstemp would give 0o600)."""
    return new_file_mode()


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, fsync and a rename."""
    atomic_write_bytes(path, data, fsync=True)


def write_metadata(
    source: str | os.PathLike, record: dict[str, Any], target: str | os.PathLike
) -> Path:
    """Write ``source`` with the record's XMP to ``target`` (may equal ``source`` to tag in place).

    Returns the file that holds the XMP: ``target`` for JPEG and PNG, ``target + '.xmp'`` (a
    sidecar, with ``target`` an unchanged copy) for other formats.
    """
    source, target = Path(source), Path(target)
    data = source.read_bytes()
    packet = build_xmp(record)
    if data[:2] == b"\xff\xd8":
        atomic_write(target, embed_jpeg(data, packet))
        return target
    if data[:8] == PNG_SIGNATURE:
        atomic_write(target, embed_png(data, packet))
        return target
    if target.resolve() != source.resolve():
        atomic_write(target, data)
    sidecar = target.with_name(target.name + ".xmp")
    atomic_write(sidecar, packet)
    return sidecar
