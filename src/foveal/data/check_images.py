"""Check an ImageFolder tree: unreadable images, empty or single classes, stray files, duplicates
within and across splits.

>>> import os, shutil
>>> from foveal.data.check_images import check_imagefolder
>>> for name in ["daisy", "rose"]:
...     os.makedirs(f"flowers/{name}")
>>> _ = shutil.copy("cat.jpg", "flowers/daisy/1.jpg")
>>> _ = shutil.copy("coffee.png", "flowers/rose/2.png")
>>> _ = open("flowers/rose/3.jpg", "wb").write(b"broken")
>>> report = check_imagefolder("flowers/")
>>> report.ok, report.splits
(False, {'all': {'daisy': 1, 'rose': 2}})
>>> report.problems
['unreadable image flowers/rose/3.jpg: ... not an image ...']
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from foveal.data.imagefolder import find_split_dirs, scan
from foveal.errors import ImageError
from foveal.io import is_image_file, load_image
from foveal.tasks.batching import map_ordered


@dataclass
class CheckReport:
    root: Path
    splits: dict[str, dict[str, int]] = field(default_factory=dict)  # split -> class -> images
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    empty_classes: list[str] = field(default_factory=list)
    stray_files: list[str] = field(default_factory=list)
    duplicates_across: list[list[str]] = field(default_factory=list)
    duplicates_within: list[list[str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "ok": self.ok,
            "splits": self.splits,
            "unreadable": [{"path": p, "error": e} for p, e in self.unreadable],
            "empty_classes": self.empty_classes,
            "stray_files": self.stray_files,
            "duplicates_across_splits": self.duplicates_across,
            "duplicates_within_split": self.duplicates_within,
            "problems": self.problems,
        }

    def summary(self) -> str:
        lines = [f"{self.root}:"]
        for split, counts in self.splits.items():
            total = sum(counts.values())
            lines.append(
                f"  {split}: {len(counts)} classes, {total} images "
                f"(fewest {min(counts.values(), default=0)}, most "
                f"{max(counts.values(), default=0)} per class)"
            )
        lines += [f"  problem: {p}" for p in self.problems]
        lines.append("  OK" if self.ok else f"  {len(self.problems)} problem(s)")
        return "\n".join(lines)


def _digest(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _decode(path: Path) -> str:
    load_image(path)
    return _digest(path)


def check_imagefolder(root: str | os.PathLike) -> CheckReport:
    """Decode every image and report each problem with the file it concerns."""
    base = Path(root)
    dirs = find_split_dirs(base) or {"all": base}
    rep = CheckReport(base)
    by_hash: dict[str, list[tuple[str, Path]]] = {}
    for split, folder in dirs.items():
        tree = scan(folder, allow_empty=True)
        counts = dict(zip(tree.classes, tree.counts(), strict=True))
        rep.splits[split] = counts
        for c, n in counts.items():
            if n == 0:
                rep.empty_classes.append(f"{split}/{c}" if split != "all" else c)
        for d in (folder / c for c in tree.classes):
            for p in sorted(d.rglob("*")):
                if p.is_file() and not is_image_file(p) and not p.name.startswith("."):
                    rep.stray_files.append(str(p))
        for path, res in map_ordered(_decode, [p for p, _ in tree.samples]):
            if isinstance(res, ImageError):
                rep.unreadable.append((str(path), str(res)))
            elif isinstance(res, BaseException):
                rep.unreadable.append((str(path), f"{type(res).__name__}: {res}"))
            else:
                by_hash.setdefault(res, []).append((split, path))
    for items in by_hash.values():
        if len(items) < 2:
            continue
        names = [str(p) for _, p in items]
        (rep.duplicates_across if len({s for s, _ in items}) > 1 else rep.duplicates_within).append(
            names
        )
    train_counts = rep.splits.get("train", rep.splits.get("all", {}))
    if len(train_counts) < 2:
        rep.problems.append(
            f"only {len(train_counts)} class folder(s); a classifier needs at least two"
        )
    rep.problems += [f"unreadable image {p}: {e}" for p, e in rep.unreadable]
    rep.problems += [f"empty class folder {c}" for c in rep.empty_classes]
    rep.problems += [
        f"the same image is in several splits: {', '.join(g)}" for g in rep.duplicates_across
    ]
    rep.problems += [f"duplicate images: {', '.join(g)}" for g in rep.duplicates_within]
    for split in rep.splits:
        if split != "all" and "train" in rep.splits and split != "train":
            extra = sorted(set(rep.splits[split]) - set(rep.splits["train"]))
            if extra:
                rep.problems.append(f"classes in {split}/ but not in train/: {', '.join(extra)}")
    rep.problems += [f"not an image file (ignored by training): {p}" for p in rep.stray_files]
    return rep


def split_imagefolder(
    src: str | os.PathLike,
    out: str | os.PathLike,
    *,
    val: float = 0.2,
    test: float = 0.0,
    seed: int = 0,
    mode: str = "copy",
) -> dict[str, int]:
    """Write ``out/train``, ``out/val`` (and ``out/test``) with a stratified, seeded split of
    ``src``.

    ``mode``: ``copy``, ``hardlink`` or ``symlink``. Existing files in ``out`` are an error.
    """
    import shutil

    from foveal.data.imagefolder import stratified_split
    from foveal.errors import ConfigError

    if mode not in ("copy", "hardlink", "symlink"):
        raise ConfigError(f"mode must be copy, hardlink or symlink, got {mode!r}")
    if val < 0 or test < 0 or val + test >= 1 or val + test == 0:
        raise ConfigError(f"--val ({val}) and --test ({test}) must be >= 0 with 0 < val + test < 1")
    dst = Path(out)
    if dst.exists() and any(dst.iterdir()):
        raise ConfigError(f"{dst} exists and is not empty; choose a new output folder")
    tree = scan(src)
    if len(tree.classes) < 2:
        raise ConfigError(
            f"{src} has a single class ({tree.classes[0]}); a classifier needs at least two"
        )
    rest, test_s = (
        stratified_split(tree.samples, test, seed=seed) if test > 0 else (tree.samples, [])
    )
    train_s, val_s = stratified_split(rest, val / (1 - test), seed=seed) if val > 0 else (rest, [])
    parts = {"train": train_s, "val": val_s, "test": test_s}
    counts = {}
    for split, samples in parts.items():
        if not samples and split != "train":
            continue
        for path, label in samples:
            rel = path.relative_to(Path(src) / tree.classes[label])
            target = dst / split / tree.classes[label] / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if mode == "copy":
                shutil.copy2(path, target)
            elif mode == "hardlink":
                os.link(path, target)
            else:
                target.symlink_to(path.resolve())
        counts[split] = len(samples)
    return counts
