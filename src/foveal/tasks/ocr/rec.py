"""Text-line recognition with a CTC network: crops -> strings, batched by width.

Crops are resized to the network's height keeping their aspect ratio, sorted by width and packed
into batches of similar widths (little padding), run, and decoded greedily: best class per time step,
repeats merged, blanks dropped. The confidence of a line is the mean probability of its characters.

>>> rec = TextRecognizer()                               # doctest: +SKIP
>>> rec([crop_bgr])                                       # doctest: +SKIP
[('The quick brown dog', 0.998)]
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence

import numpy as np

from foveal.errors import FovealError

DEFAULT_REC = "ppocr_rec.v6_small"


def ctc_greedy_decode(
    probs: np.ndarray, charset: Sequence[str], *, blank: int = 0, lengths: Sequence[int] | None = None
) -> list[tuple[str, float]]:
    """Greedy CTC decoding of ``probs`` (N, T, C): ``[(text, confidence), ...]``.

    ``lengths`` limits each row to its first ``lengths[i]`` time steps (padding excluded).

    >>> p = np.zeros((1, 5, 3), np.float32); p[0, [0, 1, 2, 3, 4], [1, 1, 0, 1, 2]] = 1
    >>> ctc_greedy_decode(p, ["-", "a", "b"])
    [('aab', 1.0)]
    """
    idx = probs.argmax(axis=2)
    best = np.take_along_axis(probs, idx[..., None], axis=2)[..., 0]
    out = []
    for i in range(idx.shape[0]):
        t_max = idx.shape[1] if lengths is None else int(lengths[i])
        row, conf = idx[i, :t_max], best[i, :t_max]
        keep = row != blank
        keep[1:] &= row[1:] != row[:-1]
        chars = row[keep]
        text = "".join(charset[c] for c in chars)
        score = float(conf[keep].mean()) if keep.any() else 0.0
        out.append((text, score))
    return out


def width_batches(widths: Sequence[int], *, max_pixels: int = 48 * 320 * 16, max_batch: int = 32, max_waste: float = 0.35) -> list[list[int]]:
    """Group crop indices into batches of similar width (each batch padded to its widest crop).

    Crops are taken narrowest first; a batch closes when padding would waste more than ``max_waste``
    of its area, or it would exceed ``max_pixels`` (at height 48) or ``max_batch`` crops.

    >>> width_batches([100, 900, 110, 120, 880])
    [[0, 2, 3], [4, 1]]
    """
    order = np.argsort(np.asarray(widths), kind="stable")
    batches: list[list[int]] = []
    cur: list[int] = []
    used = 0
    for i in order.tolist():
        w = int(widths[i])
        if cur:
            n = len(cur) + 1
            area = n * w
            if n > max_batch or area * 48 > max_pixels or (used + w) < (1 - max_waste) * area:
                batches.append(cur)
                cur, used = [], 0
        cur.append(i)
        used += w
    if cur:
        batches.append(cur)
    return batches


class TextRecognizer:
    """Recognise text lines with a CTC recognizer (ONNX), e.g. PP-OCRv6 or foveal's own CRNN.

    Args:
        model: zoo name or ``.onnx`` path. The character set comes from the model's metadata
            (``character``: one character per line, PP-OCR convention: blank first, space last;
            or foveal's own ``foveal`` metadata with ``charset``).
        height: input height (48 for PP-OCR).
        min_width: crops narrower than this are padded up to it.
    """

    def __init__(
        self,
        model: str | os.PathLike = DEFAULT_REC,
        *,
        min_width: int = 48,
        max_width: int = 3200,
        threads: int | None = None,
    ) -> None:
        from foveal.tasks.ocr.models import open_onnx

        self.model, self.name = open_onnx(model, "ocr_rec", threads=threads)
        self.charset, self.height, self.stride, self.channels = _read_charset(self.model)
        # foveal's CRNN says how it was trained: lines shrunk with INTER_AREA and padded with their
        # background. PP-OCR models were trained on bilinear resizing and zero padding.
        import cv2

        info = json.loads(self.model.metadata.get("foveal", "{}"))
        self.interpolation = cv2.INTER_AREA if info.get("resize") == "area" else cv2.INTER_LINEAR
        self.pad_background = info.get("pad") == "background"
        self.min_width = min_width
        self.max_width = max_width

    def _target_width(self, crop: np.ndarray) -> int:
        h, w = crop.shape[:2]
        return int(min(self.max_width, max(1, math.ceil(self.height * w / max(h, 1)))))

    def __call__(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """Recognise BGR uint8 crops (any sizes): ``[(text, confidence), ...]`` in input order."""
        import cv2

        results: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        if not crops:
            return results
        widths = [self._target_width(c) for c in crops]
        for batch in width_batches(widths, max_pixels=self.height * 320 * 16):
            bw = max(self.min_width, max(widths[i] for i in batch))
            bw = int(math.ceil(bw / 8) * 8)
            x = np.zeros((len(batch), self.channels, self.height, bw), np.float32)
            for j, i in enumerate(batch):
                crop = crops[i]
                shrink = crop.shape[0] > self.height
                img = cv2.resize(crop, (widths[i], self.height), interpolation=self.interpolation if shrink else cv2.INTER_LINEAR)
                if self.channels == 1:
                    img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)[..., None]
                x[j, :, :, : widths[i]] = img.transpose(2, 0, 1) * np.float32(2.0 / 255.0) - np.float32(1.0)
                if self.pad_background:
                    x[j, :, :, widths[i] :] = border_median(x[j, :, :, : widths[i]])
            (probs,) = self.model.run(x)
            t = probs.shape[1]
            lengths = [max(1, min(t, math.ceil(t * widths[i] / bw) + 1)) for i in batch]
            for i, res in zip(batch, ctc_greedy_decode(probs, self.charset, lengths=lengths), strict=True):
                results[i] = res
        return results


def border_median(line: np.ndarray) -> np.ndarray:
    """Per-channel median of a (C, H, W) line's border pixels: its background, to pad it with.

    foveal's CRNN is trained and run with lines padded by their own background, not a constant: a
    recurrent model reads the padding too, and a gray band after the text looks like one more glyph.
    """
    border = np.concatenate([line[:, 0], line[:, -1], line[:, :, 0], line[:, :, -1]], axis=1)
    return np.median(border, axis=1)[:, None, None]


def _read_charset(model) -> tuple[list[str], int, int, int]:
    """``(charset with blank at 0, input height, time-step stride, channels)`` from model metadata."""
    meta = model.metadata
    shape = model.input_shapes[0]
    channels = int(shape[1]) if isinstance(shape[1], int) else 3
    height = int(shape[2]) if isinstance(shape[2], int) else 48
    if "character" in meta:  # PP-OCR: characters one per line; blank prepended, space appended
        chars = meta["character"].splitlines()
        return ["<blank>", *chars, " "], height, 8, channels
    if "foveal" in meta:
        info = json.loads(meta["foveal"])
        if "charset" in info:
            return ["<blank>", *list(info["charset"])], int(info.get("height", height)), 4, channels
    raise FovealError(
        f"{model.path} has no character set in its metadata (expected 'character' as PP-OCR models "
        "have, or foveal's own 'charset'); it cannot be used as a recognizer"
    )
