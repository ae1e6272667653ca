"""PyTorch execution with the same call shape as :class:`foveal.runtime.onnx.OnnxModel`."""

from __future__ import annotations

from typing import Any

import numpy as np


class TorchModel:
    """Wrap an ``nn.Module`` so ``run(x)`` takes and returns numpy arrays, in eval + inference
    mode."""

    def __init__(self, module: Any, *, device: str = "cpu", threads: int | None = None) -> None:
        import torch

        if threads:
            torch.set_num_threads(threads)
        self.torch = torch
        self.device = torch.device(device)
        self.module = module.to(self.device).eval()

    max_batch: int | None = None
    """PyTorch modules take any batch size."""

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        torch = self.torch
        with torch.inference_mode():
            out = self.module(
                *(torch.from_numpy(np.ascontiguousarray(x)).to(self.device) for x in inputs)
            )
        if isinstance(out, (list, tuple)):
            return [o.detach().cpu().numpy() for o in out]
        return [out.detach().cpu().numpy()]
