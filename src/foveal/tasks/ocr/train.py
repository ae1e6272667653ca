"""Training recipe for foveal's CRNN recognizer (see :mod:`foveal.train` for the engine).

Data: synthetic text lines (:mod:`foveal.tasks.ocr.synth`, fresh random lines every epoch; a fixed,
differently seeded held-out set for validation), or a folder of line images with ``NAME.gt.txt``
transcripts. Loss: CTC. Metric: character error rate on the validation lines (``cer``, lower is
better). Export: ``run_dir/model.onnx`` (softmax probabilities, dynamic batch and width) with the
character set in its metadata (:mod:`foveal.tasks.ocr.export`), so ``TextReader(run_dir)`` uses
it in the OCR pipeline.

Training takes minutes, so the example is not run here::

    from foveal.train import Trainer, TrainConfig
    recipe = OcrRecipe(OcrOptions(train_size=4096))
    Trainer(recipe, TrainConfig(epochs=8, lr=2e-3, run_dir="runs/ocr")).fit()
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import ConfigError
from foveal.ops import ctc_greedy_decode, edit_distance
from foveal.tasks.ocr.crnn import HEIGHT
from foveal.tasks.ocr.rec import border_median
from foveal.tasks.ocr.synth import CHARSET, random_text, render_line


@dataclass
class OcrOptions:
    """What to train on and how big.

    Attributes:
        data: folder of line images with ``NAME.gt.txt`` transcripts (``None``: synthetic lines).
        train_size: training lines per epoch (synthetic: freshly rendered each epoch).
        val_size: held-out lines (synthetic: a fixed set from another seed).
        max_len: longest synthetic line, in characters.
        batch_size: lines per step.
        width_mult / hidden / layers: CRNN size (MobileNetV2 width, LSTM size and depth).
    """

    data: str | None = None
    train_size: int = 4096
    val_size: int = 512
    max_len: int = 24
    batch_size: int = 32
    width_mult: float = 0.5
    hidden: int = 96
    layers: int = 1
    seed: int = 0

    def validate(self) -> None:
        for name in ("train_size", "val_size", "max_len", "batch_size", "hidden", "layers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.data is not None and not Path(self.data).is_dir():
            raise ConfigError(
                f"{self.data}: no such folder; expected line images with NAME.gt.txt transcripts"
            )


def encode(text: str, charset: str) -> list[int]:
    """Class indices (blank is 0) of the characters of ``text`` that are in ``charset``."""
    index = {c: i + 1 for i, c in enumerate(charset)}
    return [index[c] for c in text if c in index]


def to_height(gray: np.ndarray) -> np.ndarray:
    """Gray uint8 line (any height) -> uint8 (32, W), aspect ratio kept."""
    import cv2

    h, w = gray.shape[:2]
    if h == HEIGHT:
        return gray
    w = max(1, int(math.ceil(HEIGHT * w / h)))
    return cv2.resize(
        gray, (w, HEIGHT), interpolation=cv2.INTER_AREA if h > HEIGHT else cv2.INTER_LINEAR
    )


def to_input(gray: np.ndarray) -> np.ndarray:
    """Gray uint8 line (any height) -> float32 (1, 32, W) in [-1, 1]."""
    return (to_height(gray).astype(np.float32) * (2.0 / 255.0) - 1.0)[None]


class SyntheticLines:
    """Random rendered lines; line ``i`` of epoch ``e`` is drawn from ``(seed, i, e)`` (``fixed``:
    the same lines every epoch, for validation).

    :meth:`lengths` renders a whole epoch at once (the batch sampler groups lines by width) and, for
    training, starts rendering the next epoch in a background thread while this one trains.
    """

    def __init__(self, size: int, *, seed: int, max_len: int, fixed: bool = False) -> None:
        self.size, self.seed, self.max_len, self.fixed = size, seed, max_len, fixed
        self.epoch = 0
        self._lines: dict[int, list[tuple[np.ndarray, str]]] = {}
        self._next: Any = None  # (epoch, Future) rendering ahead
        self._pool: Any = None

    def __len__(self) -> int:
        return self.size

    def _render(self, i: int, epoch: int) -> tuple[np.ndarray, str]:
        rng = random.Random(f"{self.seed}/{i}/{0 if self.fixed else epoch}")
        text = random_text(rng, max_len=self.max_len)
        return to_height(render_line(text, rng, height=HEIGHT)), text

    def _render_epoch(self, epoch: int) -> list[tuple[np.ndarray, str]]:
        return [self._render(i, epoch) for i in range(self.size)]

    def lengths(self, epoch: int) -> list[int]:
        """Render (or fetch) every line of ``epoch`` and return their widths at height 32."""
        epoch = 0 if self.fixed else int(epoch)
        self.epoch = epoch
        if epoch not in self._lines:
            ahead = self._next
            self._lines = {
                epoch: ahead[1].result()
                if ahead and ahead[0] == epoch
                else self._render_epoch(epoch)
            }
        if not self.fixed:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="foveal-synth")
            self._next = (epoch + 1, self._pool.submit(self._render_epoch, epoch + 1))
        return [img.shape[1] for img, _ in self._lines[epoch]]

    def __getitem__(self, i: int) -> tuple[np.ndarray, str]:
        lines = self._lines.get(self.epoch)
        img, text = lines[i] if lines is not None else self._render(i, self.epoch)
        return (img.astype(np.float32) * (2.0 / 255.0) - 1.0)[None], text


class FolderLines:
    """Line images with ``NAME.gt.txt`` transcripts."""

    def __init__(self, files: list[tuple[Path, str]]) -> None:
        self.files = files
        self._widths: list[int] | None = None

    def __len__(self) -> int:
        return len(self.files)

    def lengths(self, epoch: int) -> list[int]:
        """Widths at height 32, from the image headers (no decoding)."""
        if self._widths is None:
            from PIL import Image

            widths = []
            for path, _ in self.files:
                try:
                    with Image.open(path) as im:
                        w, h = im.size
                    widths.append(max(1, math.ceil(HEIGHT * w / max(h, 1))))
                except OSError:
                    widths.append(0)  # unreadable: __getitem__ reports it
            self._widths = widths
        return self._widths

    def __getitem__(self, i: int) -> tuple[np.ndarray, str]:
        from foveal.io import load_image

        path, text = self.files[i]
        rgb = load_image(path)
        gray = (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114).astype(np.uint8)
        return to_input(gray), text


def folder_split(
    root: str, val_fraction: float = 0.1, seed: int = 0
) -> tuple[list[tuple[Path, str]], list[tuple[Path, str]]]:
    from foveal.evaluate.ocr import find_ground_truth
    from foveal.io import expand_sources

    items = []
    for img in expand_sources(root):
        gt = find_ground_truth(img)
        if gt is not None:
            items.append((img, gt.read_text(encoding="utf-8").strip()))
    if len(items) < 2:
        raise ConfigError(
            f"{root}: found {len(items)} line image(s) with a NAME.gt.txt transcript; "
            "need at least 2"
        )
    random.Random(seed).shuffle(items)
    n_val = max(1, int(len(items) * val_fraction))
    return items[n_val:], items[:n_val]


WIDTH_STEP = 32


def collate(batch: list[tuple[np.ndarray, str]], charset: str = CHARSET) -> dict[str, Any]:
    """Pad lines to the widest, rounded up to a multiple of 32, with each line's own background
    (as at inference), and concatenate CTC targets."""
    import torch

    widths = [x.shape[2] for x, _ in batch]
    # a multiple of 32: every new input shape makes oneDNN build (and cache) new kernels, which
    # with free widths grows the process by ~1 GB over a run and costs time
    width = WIDTH_STEP * math.ceil(max(max(widths), 16) / WIDTH_STEP)
    x = np.zeros((len(batch), 1, HEIGHT, width), np.float32)
    targets: list[int] = []
    lengths = []
    for j, (img, text) in enumerate(batch):
        x[j, :, :, : img.shape[2]] = img
        x[j, :, :, img.shape[2] :] = border_median(img)
        t = encode(text, charset)
        targets += t
        lengths.append(len(t))
    return {
        "image": torch.from_numpy(x),
        "widths": torch.tensor(widths, dtype=torch.long),
        "targets": torch.tensor(targets, dtype=torch.long),
        "target_lengths": torch.tensor(lengths, dtype=torch.long),
        "texts": [t for _, t in batch],
    }


def greedy_decode(logits: Any, lengths: Any, charset: str = CHARSET) -> list[str]:
    """Best path decoding of (B, T, C) logits (blank 0), each row cut to its length."""
    scores = logits.detach().float().cpu().numpy()
    decoded = ctc_greedy_decode(scores, ["", *charset], lengths=lengths.tolist())
    return [text for text, _ in decoded]


class OcrRecipe:
    """CRNN + CTC on synthetic (or folder) text lines; main metric ``cer`` (minimised)."""

    name = "ocr"
    main_metric = "cer"
    mode = "min"

    def __init__(self, opts: OcrOptions | None = None) -> None:
        self.opts = opts or OcrOptions()
        self.opts.validate()
        self.charset = CHARSET
        self._split: tuple[Any, Any] | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "arch": "crnn_mobilenet_v2",
            "charset": self.charset,
            "height": HEIGHT,
            **asdict(self.opts),
        }

    def build_model(self) -> Any:
        from foveal.tasks.ocr.crnn import CRNN

        o = self.opts
        return CRNN(
            len(self.charset) + 1, width_mult=o.width_mult, hidden=o.hidden, layers=o.layers
        )

    def _datasets(self) -> tuple[Any, Any]:
        if self._split is None:
            o = self.opts
            if o.data:
                tr, va = folder_split(o.data, seed=o.seed)
                self._split = (FolderLines(tr), FolderLines(va))
            else:
                self._split = (
                    SyntheticLines(o.train_size, seed=o.seed, max_len=o.max_len),
                    SyntheticLines(
                        o.val_size, seed=o.seed + 1_000_003, max_len=o.max_len, fixed=True
                    ),
                )
        return self._split

    def _loader(self, ds: Any, shuffle: bool) -> Any:
        from torch.utils.data import DataLoader

        from foveal.train.data import LengthGroupedBatchSampler

        sampler = LengthGroupedBatchSampler(
            ds.lengths,
            n=len(ds),
            batch_size=self.opts.batch_size,
            shuffle=shuffle,
            seed=self.opts.seed,
        )
        return DataLoader(ds, batch_sampler=sampler, collate_fn=collate, num_workers=0)

    def train_loader(self) -> Any:
        return self._loader(self._datasets()[0], True)

    def val_loader(self) -> Any:
        return self._loader(self._datasets()[1], False)

    def training_step(self, model: Any, batch: dict[str, Any]) -> dict[str, Any]:
        import torch

        from foveal.tasks.ocr.crnn import sequence_lengths

        logits = model(batch["image"])
        steps = sequence_lengths(batch["widths"]).clamp(max=logits.shape[1])
        log_probs = torch.log_softmax(logits.float(), -1).transpose(0, 1)
        loss = torch.nn.functional.ctc_loss(
            log_probs,
            batch["targets"],
            steps,
            batch["target_lengths"],
            blank=0,
            reduction="mean",
            zero_infinity=True,
        )
        return {"loss": loss}

    def evaluate(self, model: Any, loader: Any) -> dict[str, float]:
        from foveal.tasks.ocr.crnn import sequence_lengths

        errors = chars = 0
        exact = n = 0
        for batch in loader:
            logits = model(batch["image"])
            steps = sequence_lengths(batch["widths"]).clamp(max=logits.shape[1])
            for hyp, ref in zip(
                greedy_decode(logits, steps, self.charset), batch["texts"], strict=True
            ):
                errors += edit_distance(hyp, ref)
                chars += len(ref)
                exact += hyp == ref
                n += 1
        return {"cer": errors / max(chars, 1), "line_accuracy": exact / max(n, 1)}

    def export(self, model: Any, run_dir: Path) -> Path:
        from foveal.tasks.ocr.export import export_recognizer

        return export_recognizer(model, Path(run_dir) / "model.onnx", charset=self.charset)


def train_recognizer(options: OcrOptions | None = None, config: Any = None) -> Any:
    """Train the CRNN recognizer (``foveal train ocr``): the :class:`foveal.train.Trainer` result,
    whose run folder holds ``model.onnx``.

    Args:
        options: what to train on and how big (default: synthetic lines, the benchmarked size).
        config: a :class:`foveal.train.TrainConfig` (default: the benchmarked recipe, 22 epochs).
    """
    from foveal.train import TrainConfig, Trainer

    if config is None:
        config = TrainConfig(
            epochs=22, lr=3e-3, weight_decay=0.01, warmup_epochs=0.3, grad_clip=5.0
        )
    return Trainer(OcrRecipe(options), config).fit()
