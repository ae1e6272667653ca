"""How long ONNX Runtime's idle threads keep spinning after a run, with its default options and with
``session.force_spinning_stop``: CPU-seconds this process uses while it sleeps after one YOLOX-Nano
run at 2 threads (docs/speed.md, "Spinning outlives the run").

    python bench/ort_spin_tail.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FOVEAL_SHARED", ROOT.parent / "shared")).resolve()


def main() -> int:
    import onnxruntime as ort

    model = SHARED / "weights" / "yolox_nano.onnx"
    x = np.random.default_rng(0).random((1, 3, 416, 416), dtype=np.float32)
    for stop in ("0", "1"):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1")
        opts.add_session_config_entry("session.force_spinning_stop", stop)
        session = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
        for _ in range(3):
            session.run(None, {"images": x})
        time.sleep(3)  # every thread idle
        session.run(None, {"images": x})
        cpu0, t0 = time.process_time(), time.perf_counter()
        marks = []
        for wall in (0.01, 0.05, 0.1, 0.3, 1.0):
            while time.perf_counter() - t0 < wall:
                time.sleep(0.001)
            marks.append(f"{wall * 1000:.0f} ms: {time.process_time() - cpu0:.3f}")
        print(f"force_spinning_stop={stop}: CPU-seconds used after the run, by wall time: ", end="")
        print(", ".join(marks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
