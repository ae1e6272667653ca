"""What ``foveal train classify`` trains on and how: :class:`ClassifyOptions`.

>>> ClassifyOptions("flowers/", mode="linear").validate()
>>> ClassifyOptions("flowers/").mode  # picked from the data set size when training starts
'auto'
>>> ClassifyOptions("flowers/", mode="sideways").validate()
Traceback (most recent call last):
...
foveal.errors.ConfigError: mode 'sideways' is not one of auto, linear, finetune, discriminative
"""

from __future__ import annotations

from dataclasses import dataclass

from foveal.errors import ConfigError

MODES = ("auto", "linear", "finetune", "discriminative")
AUGMENT = ("auto", "none", "light", "standard", "strong")
BALANCE = ("none", "weights", "sampler")
# the default peak learning rate of each (resolved) mode
DEFAULT_LR = {"linear": 1e-2, "finetune": 1e-3, "discriminative": 2e-3}


@dataclass
class ClassifyOptions:
    """What to train on and how (the optimiser and schedule are in
    :class:`foveal.train.TrainConfig`).

    Attributes:
        data: an ImageFolder root (``class/*.jpg`` or ``train/ val/ test/``).
        model: a zoo classifier to start from (``mobilenet_v2.imagenet``,
            ``efficientnet_lite0.imagenet``).
        pretrained: start from the zoo weights (False: random initialisation, "from scratch").
        mode: ``auto`` (default: ``linear`` on cached frozen features for at most
            ``auto_linear_max`` training images, else ``finetune``; see
            :func:`foveal.tasks.classify.auto.choose_recipe`), ``linear`` (frozen backbone: the
            features of fixed views of every image are computed once, then only the head trains),
            ``finetune`` or ``discriminative``.
        auto_linear_max: the largest training set for which ``auto`` picks the linear probe.
        lr_decay: learning-rate factor per backbone group in ``discriminative`` mode (5 groups).
        input_size: square input side (default: the zoo model's).
        resize: shorter side before the centre crop (default ``input_size * 256 / 224``).
        augment: ``auto`` (``standard`` for fine-tuning, centre crop + flip views for a linear
            probe; flips off when class names look like characters), ``none``, ``light``,
            ``standard`` or ``strong`` (see :data:`foveal.data.transforms.PRESETS`).
        hflip: horizontal flips in augmentation (turn off for text, digits, arrows ...).
        balance: class imbalance handling: ``none``, ``weights`` (loss weights) or ``sampler``
            (resampling).
        label_smoothing: cross-entropy label smoothing.
        batch_size: images per step (per process under torchrun).
        val_fraction: share of each class held out when there is no ``val/`` folder.
        num_classes: expected number of classes (checked against the folders).
        limit_per_class: use at most this many training images per class (quick experiments).
        workers: DataLoader worker processes (0: decode in the training process).
        cache: keep decoded images in memory (``auto``: when they fit in 2 GB).
        skip_bad: leave unreadable images out (with a warning) instead of stopping.
        seed: seeds the validation split and the subset choice.
        channels_last: keep the network's weights in channels-last memory order (much faster
            convolutions on CPU with oneDNN; exported models are ordinary ONNX either way).
        precise_bn: before each evaluation, re-estimate batch-norm statistics on up to 1000 training
            images (un-augmented). ``auto``: when there are at most 5000 training images, where the
            running averages lag behind the few optimiser steps. Not in ``linear`` mode.
    """

    data: str
    model: str = "mobilenet_v2.imagenet"
    pretrained: bool = True
    mode: str = "auto"
    auto_linear_max: int = 2000
    lr_decay: float = 0.5
    input_size: int | None = None
    resize: int | None = None
    augment: str = "auto"
    hflip: bool = True
    balance: str = "none"
    label_smoothing: float = 0.0
    batch_size: int = 32
    val_fraction: float = 0.2
    num_classes: int | None = None
    limit_per_class: int | None = None
    workers: int = 0
    cache: str = "auto"
    skip_bad: bool = False
    seed: int = 0
    precise_bn: str = "auto"
    channels_last: bool = True

    def validate(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"mode {self.mode!r} is not one of {', '.join(MODES)}")
        if self.augment not in AUGMENT:
            raise ConfigError(f"augment {self.augment!r} is not one of {', '.join(AUGMENT)}")
        if self.auto_linear_max < 0:
            raise ConfigError(f"auto_linear_max must be >= 0, got {self.auto_linear_max}")
        if self.balance not in BALANCE:
            raise ConfigError(f"balance {self.balance!r} is not one of {', '.join(BALANCE)}")
        if self.precise_bn not in ("auto", "yes", "no"):
            raise ConfigError(f"precise_bn must be auto, yes or no, got {self.precise_bn!r}")
        if self.cache not in ("auto", "yes", "no"):
            raise ConfigError(f"cache must be auto, yes or no, got {self.cache!r}")
        if self.batch_size < 1:
            raise ConfigError(f"batch size must be at least 1, got {self.batch_size}")
        if self.input_size is not None and self.input_size < 16:
            raise ConfigError(f"input size must be at least 16 pixels, got {self.input_size}")
        if not 0 < self.lr_decay <= 1:
            raise ConfigError(f"lr_decay must be in (0, 1], got {self.lr_decay}")
        if not 0 <= self.label_smoothing < 1:
            raise ConfigError(f"label smoothing must be in [0, 1), got {self.label_smoothing}")
        if self.num_classes is not None and self.num_classes < 2:
            raise ConfigError(f"--num-classes must be at least 2, got {self.num_classes}")
        if self.limit_per_class is not None and self.limit_per_class < 1:
            raise ConfigError(f"limit per class must be at least 1, got {self.limit_per_class}")
