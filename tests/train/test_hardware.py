"""native_bf16 reads the CPU flags (bf16 autocast is a default only where it is native)."""

from __future__ import annotations

from pathlib import Path

from foveal.train.hardware import native_bf16


def test_native_bf16_reads_the_cpu_flags(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse avx2 avx512f avx512_bf16 amx_tile\n")
    assert native_bf16(info) is True
    info.write_text("processor\t: 0\nflags\t\t: fpu sse avx2 avx512f avx512_vnni\n")
    assert native_bf16(info) is False
    assert native_bf16(tmp_path / "missing") is False
