"""Evaluate a segmentation model on ``DATA/images`` + ``DATA/masks``: pixel error, IoU / mIoU
and Dice per class (one confusion matrix over all images, so memory stays flat).

For example, with a run of ``foveal train segment``::

    m = evaluate_segmenter("runs/segment/1", "membrane/")
    m["pixel_error"], m["dice"]["class_0"]  # fraction of wrong pixels, Dice of class 0
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from foveal.errors import ConfigError


def evaluate_segmenter(
    model: str | os.PathLike,
    data: str | os.PathLike,
    *,
    names: Sequence[str] | None = None,
    tile: int = 512,
    overlap: int = 64,
    tta: bool = False,
) -> dict[str, Any]:
    """Metrics of ``model`` on the pairs of ``data`` (only the image files in ``names``, if
    given), predicted as ``foveal segment`` does (``tta``: flips and turns averaged). The masks
    must use the model's mask values."""
    from foveal.data.segmentation import find_pairs, read_mask, to_class_ids
    from foveal.evaluate.segmentation import confusion, segmentation_metrics
    from foveal.io import load_image
    from foveal.tasks import get_task

    seg = get_task("segment").load(model=os.fspath(model))
    pairs = find_pairs(data)
    if names is not None:
        wanted = set(names)
        pairs = [p for p in pairs if p[0].name in wanted]
        if not pairs:
            raise ConfigError(f"none of {', '.join(sorted(wanted))} is in {data}/images")
    k = len(seg.labels)
    values = seg.params.mask_values or tuple(range(k))
    cm = np.zeros((k, k), np.int64)
    for img, msk in pairs:
        truth = to_class_ids(read_mask(msk), values, str(msk))
        result = seg.predict(load_image(img), tile=tile, overlap=overlap, tta=tta)
        if truth.shape != result.class_map.shape:
            raise ConfigError(
                f"mask {msk} is {truth.shape[1]}x{truth.shape[0]} but its image is "
                f"{result.class_map.shape[1]}x{result.class_map.shape[0]}"
            )
        cm += confusion(result.class_map, truth, k)
    m = segmentation_metrics(cm, seg.labels)
    return {"model": seg.name, "data": os.fspath(data), "images": len(pairs), **m}
