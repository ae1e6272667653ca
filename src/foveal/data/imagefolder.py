"""ImageFolder trees: ``ROOT/<class>/*.jpg``, optionally split as
``ROOT/{train,val,test}/<class>/*.jpg``.

>>> import os, shutil
>>> from foveal.data.imagefolder import load_splits
>>> for name, photo in [("cat", "cat.jpg"), ("coffee", "coffee.png")]:
...     os.makedirs(f"photos/{name}")
...     for i in range(5):
...         _ = shutil.copy(photo, f"photos/{name}/{i}_{photo}")
>>> splits = load_splits("photos/", val_fraction=0.2, seed=0)
>>> splits.classes, len(splits.train), len(splits.val)      # 20% of each class for validation
(['cat', 'coffee'], 8, 2)
>>> splits.train[0]                                          # (path, class index)
(PosixPath('photos/cat/0_cat.jpg'), 0)

On the 245 ant and bee photos of the PyTorch transfer-learning tutorial (``ants/``, ``bees/``)::

    splits = load_splits("hymenoptera/train", val_fraction=0.2, seed=0)
    splits.classes, len(splits.train), len(splits.val)     # (['ants', 'bees'], 196, 49)
"""

from __future__ import annotations

import os
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from foveal.errors import ConfigError
from foveal.io import is_image_file

SPLIT_NAMES = {"train": ("train",), "val": ("val", "valid", "validation"), "test": ("test",)}


@dataclass
class ImageFolder:
    """One class-per-folder tree: ``classes`` (sorted folder names) and ``(path, class index)``
    samples."""

    root: Path
    classes: list[str]
    samples: list[tuple[Path, int]] = field(default_factory=list)

    def counts(self) -> list[int]:
        c = Counter(label for _, label in self.samples)
        return [c.get(i, 0) for i in range(len(self.classes))]

    def __len__(self) -> int:
        return len(self.samples)


@dataclass
class Splits:
    """The train / val (/ test) parts of a dataset, sharing one class list."""

    classes: list[str]
    train: list[tuple[Path, int]]
    val: list[tuple[Path, int]]
    test: list[tuple[Path, int]] = field(default_factory=list)
    source: str = ""  # "folders" (train/ val/ given) or "stratified split of ..."


def find_split_dirs(root: str | os.PathLike) -> dict[str, Path]:
    """The split sub-folders present: ``{"train": root/train, "val": root/valid, ...}``."""
    base = Path(root)
    found: dict[str, Path] = {}
    for split, names in SPLIT_NAMES.items():
        for name in names:
            if (base / name).is_dir():
                found[split] = base / name
                break
    return found


def scan(
    root: str | os.PathLike, *, classes: list[str] | None = None, allow_empty: bool = False
) -> ImageFolder:
    """Scan ``root/<class>/**`` for image files (by extension; decoding is checked elsewhere).

    Args:
        classes: expected class names (e.g. those of the training split); other folders are an
            error.
        allow_empty: accept class folders without images (``foveal data check-images`` reports
            them).

    Raises:
        ConfigError: missing folder, no class folders, images directly in ``root``, empty classes.
    """
    base = Path(root)
    if not base.is_dir():
        raise ConfigError(
            f"{base} is not a folder; expected an ImageFolder tree ROOT/<class>/*.jpg"
        )
    dirs = sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
    loose = [p for p in base.iterdir() if p.is_file() and is_image_file(p)]
    if not dirs:
        hint = f" ({len(loose)} images lie directly in it)" if loose else ""
        raise ConfigError(
            f"{base} has no class folders{hint}; expected one sub-folder per class, e.g. {base}"
            f"/cat/1.jpg, {base}/dog/2.jpg"
        )
    if loose:
        raise ConfigError(
            f"{base} holds {len(loose)} images outside any class folder (e.g. {loose[0].name}); "
            "move each image into the folder of its class"
        )
    names = [d.name for d in dirs]
    if classes is not None:
        unknown = sorted(set(names) - set(classes))
        if unknown:
            raise ConfigError(
                f"{base} has class folders {', '.join(unknown)} that the training data lacks "
                f"(training classes: {', '.join(classes)})"
            )
        names = list(classes)
    index = {n: i for i, n in enumerate(names)}
    samples: list[tuple[Path, int]] = []
    for d in dirs:
        files = sorted(p for p in d.rglob("*") if p.is_file() and is_image_file(p))
        samples += [(p, index[d.name]) for p in files]
    folder = ImageFolder(base, names, samples)
    empty = [
        n for n, c in zip(names, folder.counts(), strict=True) if c == 0 and (base / n).is_dir()
    ]
    if empty and not allow_empty:
        raise ConfigError(
            f"class folder(s) without images in {base}: {', '.join(empty)}; add images or remove "
            "the folder(s)"
        )
    return folder


def stratified_split(
    samples: list[tuple[Path, int]], fraction: float, *, seed: int = 0
) -> tuple[list[tuple[Path, int]], list[tuple[Path, int]]]:
    """Split ``samples`` into (kept, held out) with ``fraction`` of every class held out (at least
    one image per class when the class has two or more)."""
    if not 0 < fraction < 1:
        raise ConfigError(f"the validation fraction must be between 0 and 1, got {fraction}")
    by_class: dict[int, list[tuple[Path, int]]] = {}
    for s in samples:
        by_class.setdefault(s[1], []).append(s)
    rng = random.Random(seed)
    keep, held = [], []
    for label in sorted(by_class):
        items = sorted(by_class[label])
        rng.shuffle(items)
        n_held = min(len(items) - 1, max(1, round(len(items) * fraction))) if len(items) > 1 else 0
        held += items[:n_held]
        keep += items[n_held:]
    return sorted(keep), sorted(held)


def limit_per_class(
    samples: list[tuple[Path, int]], n: int, *, seed: int = 0
) -> list[tuple[Path, int]]:
    """At most ``n`` samples per class, chosen at random (seeded)."""
    by_class: dict[int, list[tuple[Path, int]]] = {}
    for s in samples:
        by_class.setdefault(s[1], []).append(s)
    rng = random.Random(seed)
    out = []
    for label in sorted(by_class):
        items = sorted(by_class[label])
        rng.shuffle(items)
        out += items[:n]
    return sorted(out)


def load_splits(
    root: str | os.PathLike,
    *,
    val_fraction: float = 0.2,
    seed: int = 0,
    num_classes: int | None = None,
) -> Splits:
    """Train and validation samples of an ImageFolder dataset.

    ``root/train`` (+ ``root/val``) are used when present; otherwise ``val_fraction`` of each class
    of ``root/train`` (or of ``root`` itself) is held out, stratified and seeded. ``root/test`` is
    kept apart for ``foveal eval classify``.

    Raises:
        ConfigError: fewer than two classes, empty classes, ``num_classes`` not matching, a class
            with a single image and no validation folder.
    """
    base = Path(root)
    dirs = find_split_dirs(base)
    train_root = dirs.get("train", base)
    train = scan(train_root)
    classes = train.classes
    if len(classes) < 2:
        raise ConfigError(
            f"{train_root} has a single class ({classes[0]}); a classifier needs at least two "
            "class folders"
        )
    if num_classes is not None and num_classes != len(classes):
        raise ConfigError(
            f"--num-classes is {num_classes}, but {train_root} has {len(classes)} class folders "
            f"({', '.join(classes[:12])}{' ...' if len(classes) > 12 else ''}); fix the option or "
            "the folders"
        )
    test = scan(dirs["test"], classes=classes, allow_empty=True).samples if "test" in dirs else []
    if "val" in dirs:
        val = scan(dirs["val"], classes=classes, allow_empty=True).samples
        if not val:
            raise ConfigError(f"the validation folder {dirs['val']} holds no images")
        return Splits(
            classes,
            train.samples,
            val,
            test,
            source=f"folders {train_root.name}/ and {dirs['val'].name}/",
        )
    single = [c for c, n in zip(classes, train.counts(), strict=True) if n < 2]
    if single:
        raise ConfigError(
            f"class(es) {', '.join(single)} in {train_root} have a single image: too few to hold "
            "one out for validation; add images, or give a val/ folder"
        )
    kept, held = stratified_split(train.samples, val_fraction, seed=seed)
    return Splits(
        classes, kept, held, test, source=f"stratified {val_fraction:.0%} split of {train_root}"
    )
