"""ONNX export of foveal's CRNN recognizer, with its :class:`~foveal.zoo.meta.ModelMeta`.

The file takes ``x`` (B, 1, 32, W) in [-1, 1] and gives ``probs`` (B, W/4, C), softmax over the
blank (class 0) and the characters; batch and width are dynamic. Its metadata carries what the
recognizer needs to read lines as in training (:class:`foveal.tasks.ocr.rec.RecParams`), so
``TextReader(run_dir)`` uses it.

Exporting checks the file against PyTorch and takes seconds, so the example is not run here::

    from foveal.tasks.ocr.crnn import CRNN
    export_recognizer(CRNN(96), "runs/ocr/model.onnx")   # -> PosixPath('runs/ocr/model.onnx')
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from foveal.tasks.ocr.crnn import HEIGHT
from foveal.tasks.ocr.synth import CHARSET
from foveal.zoo.meta import ModelMeta, Preprocess

HALF = (0.5, 0.5, 0.5)


def recognizer_meta(charset: str = CHARSET, name: str = "crnn.foveal") -> ModelMeta:
    """The metadata of a CRNN recognizer over ``charset`` (lines shrunk with area averaging and
    padded with their own background, as :mod:`foveal.tasks.ocr.train` trains them)."""
    return ModelMeta(
        name=name,
        task="ocr_rec",
        preprocess=Preprocess(
            input_size=(HEIGHT, 160),
            resize=None,
            crop=False,
            mean=HALF,
            std=HALF,
            channel_order="GRAY",
        ),
        params={"charset": charset, "height": HEIGHT, "resize": "area", "pad": "background"},
    )


def export_recognizer(
    net: Any, out: str | os.PathLike, *, charset: str = CHARSET, name: str = "crnn.foveal"
) -> Path:
    """Write a trained :class:`~foveal.tasks.ocr.crnn.CRNN` (logits over ``charset`` + blank) as
    a foveal ONNX recognizer at ``out``, checked against PyTorch; returns the path."""
    import torch

    from foveal.runtime.export import export_onnx
    from foveal.tasks.ocr.crnn import CRNNProbs

    gen = torch.Generator().manual_seed(0)
    sample = torch.rand(1, 1, HEIGHT, 160, generator=gen) * 2 - 1
    check = torch.rand(2, 1, HEIGHT, 240, generator=gen) * 2 - 1
    report = export_onnx(
        CRNNProbs(net.eval()),
        sample,
        out,
        input_names=("x",),
        output_names=("probs",),
        dynamic_axes={"x": {0: "batch", 3: "width"}, "probs": {0: "batch", 1: "steps"}},
        meta=recognizer_meta(charset, name),
        check_inputs=check,
        atol=1e-4,
    )
    return report.path
