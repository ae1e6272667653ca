"""Text-line direction: is a cropped line upright (0) or upside down (180)?"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np

from foveal.runtime import open_model

DEFAULT_CLS = "ppocr_cls.mobile_v2"


class DirectionClassifier:
    """PP-OCR's 0/180 degree text-line classifier (ONNX; input size from its metadata, 48x192).

    ``__call__`` returns, for each BGR crop, the probability that it is upside down.
    """

    def __init__(
        self,
        model: str | os.PathLike = DEFAULT_CLS,
        *,
        threads: int | None = None,
        batch_size: int = 32,
    ) -> None:
        self.model = open_model(model, tasks={"ocr_cls"}, threads=threads)
        self.name = self.model.meta.name
        self.height, self.width = self.model.meta.preprocess.input_size
        self.batch_size = batch_size

    def tensors(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """The network input ``(N, 3, H, W)`` of BGR crops: resized to its height, zero-padded."""
        import cv2

        x = np.zeros((len(crops), 3, self.height, self.width), np.float32)
        for j, crop in enumerate(crops):
            h, w = crop.shape[:2]
            rw = int(min(self.width, math.ceil(self.height * w / max(h, 1))))
            img = cv2.resize(crop, (max(1, rw), self.height), interpolation=cv2.INTER_LINEAR)
            x[j, :, :, :rw] = img.transpose(2, 0, 1) * np.float32(2 / 255) - np.float32(1)
        return x

    def __call__(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        out = np.zeros(len(crops), np.float32)
        for start in range(0, len(crops), self.batch_size):
            chunk = crops[start : start + self.batch_size]
            (probs,) = self.model.runner.run(self.tensors(chunk))
            out[start : start + len(chunk)] = probs[:, 1]
        return out
