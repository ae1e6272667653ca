"""Peak memory stays under 1.5 GB for inputs accepted under the pixel limit: the 39.7 MP 16-bit
RGBA PNG (300 KB on disk) and a 14400 pt PDF page asked at 300 dpi, loaded in a fresh process."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")
LIMIT_KB = 1_500_000  # 1.5 GB, in kB as /proc/self/status reports it


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def rgba16_png(path: Path, width: int, height: int) -> None:
    """A 16-bit RGBA PNG, half transparent orange, small on disk (rows repeat: filter Up)."""
    comp = zlib.compressobj(9)
    body = [comp.compress(b"\x00" + struct.pack(">4H", 0xFFFF, 0x8000, 0, 0x8000) * width)]
    up = b"\x02" + bytes(8 * width)
    body += [comp.compress(up) for _ in range(height - 1)]
    body.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)
    data = _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"".join(body)) + _chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + data)


CHILD = """
import sys, warnings
import numpy as np
from foveal.io import iter_sources, load_image
img = load_image(sys.argv[1])
assert img.shape == (5672, 7000, 3) and img.dtype == np.uint8, img.shape
assert tuple(img[0, 0]) == tuple(img[-1, -1]) == (255, 191, 127), img[0, 0]
del img
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    pages = [it.load().shape for it in iter_sources(sys.argv[2], dpi=300)]
assert len(pages) == 1 and pages[0][0] * pages[0][1] <= 100_000_000, pages
assert any("rendered at" in str(w.message) for w in caught)
# this process's own peak (VmHWM): ru_maxrss would also count the parent's size from the fork
hwm = next(ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:"))
print(pages[0], int(hwm.split()[1]))
"""


def test_peak_rss_of_big_inputs_stays_under_1_5_gb(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    png = tmp_path / "rgba16.png"
    rgba16_png(png, 7000, 5672)  # 39.7 MP
    assert png.stat().st_size < 1_000_000
    pdf = tmp_path / "poster.pdf"
    doc = pdfium.PdfDocument.new()
    doc.new_page(14400, 14400)
    doc.save(pdf)
    doc.close()
    env = {k: v for k, v in os.environ.items() if k != "FOVEAL_MAX_PIXELS"}  # the default limit
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(png), str(pdf)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "PYTHONPATH": SRC},
    )
    assert proc.returncode == 0, proc.stderr
    peak_kb = int(proc.stdout.split()[-1])  # kB
    print(f"child peak RSS {peak_kb / 1e6:.2f} GB; {proc.stdout.strip()}")
    assert peak_kb < LIMIT_KB, f"peak RSS {peak_kb / 1e6:.2f} GB (child says {proc.stdout})"
