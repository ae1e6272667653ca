"""The promise benchmark's restoration rows: same noisy crops for every method, PSNR per row."""

from __future__ import annotations

from foveal.bench import promise
from foveal.bench.promise.core import Settings


def test_restoration_rows() -> None:
    assert "restoration" in promise.RUNNERS
    rows = {r.method: r for r in promise.run_restoration(Settings(log=lambda _: None))}
    noisy = rows["noisy input (sigma 25)"]
    assert 20 < noisy.value < 21.5  # sigma 25 on [0, 255]: 20.2 dB before clipping effects
    for name in ("OpenCV non-local means", "BM3D (bm3d_rgb)", "foveal restore_unet.gaussian"):
        assert not rows[name].skipped, rows[name].note
        assert rows[name].value > noisy.value + 3 and rows[name].time_s > 0
    assert rows["foveal restore_unet.gaussian"].kind == "deep"
