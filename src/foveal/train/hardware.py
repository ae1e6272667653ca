"""What the processor offers the training engine.

>>> isinstance(native_bf16(), bool)
True
"""

from __future__ import annotations

from pathlib import Path

BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
"""x86 CPU flags (``/proc/cpuinfo``) of native bfloat16 arithmetic."""


def native_bf16(cpuinfo: str | Path = "/proc/cpuinfo") -> bool:
    """Whether the CPU computes in bfloat16 natively (AVX512-BF16 or AMX), so bf16 autocast
    (``TrainConfig.amp``) is about twice as fast as float32 rather than slower (emulated).
    ``False`` where the flags cannot be read (not Linux, not x86)."""
    try:
        text = Path(cpuinfo).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            return bool(BF16_FLAGS & set(line.partition(":")[2].split()))
    return False
