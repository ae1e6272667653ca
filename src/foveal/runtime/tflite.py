"""TensorFlow Lite models run with PyPI ``ai-edge-litert`` (MediaPipe's landmark networks).

MediaPipe's ``.tflite`` files use operators that no TFLite-to-ONNX converter handles here
(``tflite2onnx`` 0.4.1 fails on four of the six landmark networks: DENSIFY, float16 weights), so
they run as they ship, in LiteRT's interpreter. An interpreter is not thread-safe: one lock per
model serialises calls, so one model object may serve many threads.

>>> from foveal import zoo
>>> from foveal.runtime.tflite import TfliteModel
>>> m = TfliteModel(zoo.resolve_weights(zoo.get("face_detection.short_range")))
>>> m.input_shape
(1, 128, 128, 3)
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from foveal.errors import ModelFileError
from foveal.runtime.onnx import default_threads
from foveal.zoo.load import first_line

_QUIET_LOCK = threading.Lock()
_ANNOUNCED = False


@contextlib.contextmanager
def _once_quiet() -> Iterator[None]:
    """LiteRT prints ``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.`` on the process's
    stderr (file descriptor 2, from C++) when it creates its first interpreter, whatever the log
    settings: the first creation runs with descriptor 2 pointed at ``/dev/null``."""
    global _ANNOUNCED
    with _QUIET_LOCK:
        if _ANNOUNCED:
            yield
            return
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 2)
                yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            _ANNOUNCED = True


class TfliteModel:
    """One ``.tflite`` network: ``model.run(x)`` -> its outputs, in the file's output order.

    Args:
        path: the ``.tflite`` file.
        threads: interpreter threads (default: ``$FOVEAL_THREADS``, else every CPU).
    """

    def __init__(self, path: str | os.PathLike, *, threads: int | None = None) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        if not self.path.is_file():
            raise ModelFileError(f"{self.path}: no such TFLite file")
        with _once_quiet():
            try:
                self._interp = Interpreter(
                    model_path=str(self.path), num_threads=threads or default_threads()
                )
                self._interp.allocate_tensors()
            except (ValueError, RuntimeError) as exc:
                raise ModelFileError(
                    f"{self.path} is not a TFLite model LiteRT can load ({first_line(exc)})"
                ) from exc
        inp = self._interp.get_input_details()[0]
        self._input = inp["index"]
        self.input_shape = tuple(int(d) for d in inp["shape"])
        self._outputs = [o["index"] for o in self._interp.get_output_details()]
        self._lock = threading.Lock()

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        """Outputs for one input tensor of :attr:`input_shape` (float32)."""
        x = np.ascontiguousarray(x, dtype=np.float32).reshape(self.input_shape)
        with self._lock:
            self._interp.set_tensor(self._input, x)
            self._interp.invoke()
            return [self._interp.get_tensor(i).copy() for i in self._outputs]
