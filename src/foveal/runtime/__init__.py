"""Execution: the same network runs through ONNX Runtime (default on CPU) or PyTorch.

>>> from foveal.runtime import open_model
>>> m = open_model("yolox_nano.coco", tasks={"detect"})
>>> batch = np.zeros((1, 3, 416, 416), np.float32)
>>> m.meta.labels[:2], m.runner.run(batch)[0].shape
(('person', 'bicycle'), (1, 3549, 85))
"""

from foveal.runtime.onnx import META_KEY, OnnxModel, read_meta
from foveal.runtime.open import (
    BACKENDS,
    OpenedModel,
    check_backend,
    exported_onnx,
    local_onnx,
    open_model,
    packed_name,
    packed_onnx,
)
from foveal.runtime.torch import TorchModel

__all__ = [
    "BACKENDS",
    "META_KEY",
    "OnnxModel",
    "OpenedModel",
    "TorchModel",
    "check_backend",
    "exported_onnx",
    "local_onnx",
    "open_model",
    "packed_name",
    "packed_onnx",
    "read_meta",
]
