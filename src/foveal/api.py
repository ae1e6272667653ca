"""The verbs: a handful of functions a newcomer understands in a minute.

>>> import foveal
>>> foveal.classify("cat.jpg").top1                      # doctest: +SKIP
'tabby'

Predictors are created on first use and kept, so repeated calls are fast.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import numpy as np

from foveal.io import ImageSource
from foveal.results import Classification


@lru_cache(maxsize=8)
def _classifier(model: str, backend: str) -> Any:
    from foveal.tasks.classification import Classifier

    return Classifier(model, backend=backend)


def classify(
    image: ImageSource,
    *,
    model: str | os.PathLike = "mobilenet_v2.imagenet",
    top_k: int = 5,
    backend: str = "onnx",
) -> Classification:
    """Classify one image: the ``top_k`` classes with softmax probabilities, best first.

    Args:
        image: a path, encoded bytes, an RGB numpy array or a PIL image.
        model: a zoo name, an exported ``.onnx`` file or a training run folder.
        top_k: how many classes to return.
        backend: ``"onnx"`` (ONNX Runtime, default) or ``"torch"``.

    >>> foveal.classify("coffee.png", top_k=1).names     # doctest: +SKIP
    ['espresso']
    """
    return _classifier(os.fspath(model), backend).predict(image, top_k=top_k)


def embed(
    image: ImageSource,
    *,
    model: str | os.PathLike = "mobilenet_v2.imagenet",
    normalize: bool = True,
    backend: str = "onnx",
) -> np.ndarray:
    """A learned feature vector for one image (pooled CNN features, L2-normalised by default).

    >>> v = foveal.embed("a.jpg"); w = foveal.embed("b.jpg")   # doctest: +SKIP
    >>> float(v @ w)   # cosine similarity                      # doctest: +SKIP
    0.83
    """
    vec = _classifier(os.fspath(model), backend).embed(image).astype(np.float32)
    if normalize:
        vec = vec / max(float(np.linalg.norm(vec)), 1e-12)
    return vec


from foveal.results import TextLines  # noqa: E402  (issue 5: OCR verb)


@lru_cache(maxsize=4)
def _text_reader(model: str | None) -> Any:
    from foveal.tasks.ocr import TextReader

    if model is None:
        return TextReader()
    return TextReader(rec=model)


def read_text(image: ImageSource, *, model: str | os.PathLike | None = None) -> TextLines:
    """Read the text in one image: lines in reading order, with polygons, confidences and paragraphs.

    Args:
        image: a path, encoded bytes, an RGB numpy array or a PIL image (PDFs: ``foveal read``).
        model: the recognizer: ``None`` for PP-OCRv6 small (with its detector and direction
            classifier), or a zoo name / ``.onnx`` file / training run folder of a CTC recognizer.

    Pages turned by 90, 180 or 270 degrees are read upright (polygons stay in the input's pixels).

    >>> lines = foveal.read_text("page.png")             # doctest: +SKIP
    >>> print(lines.text)                                 # doctest: +SKIP
    This is a lot of 12 point text to test the
    """
    return _text_reader(None if model is None else os.fspath(model)).read(image)
