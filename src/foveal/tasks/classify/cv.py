"""k-fold cross-validation of ``foveal train classify``: honest numbers on small data.

Every image is scored exactly once, by the fold model that did not train on it. Each fold keeps
its last epoch (no epoch is picked on the fold's test images), and with ``mode="linear"`` the
frozen features are computed once and shared by all folds.

>>> folds = stratified_folds([(f"{c}{i}.jpg", c) for c in (0, 1) for i in range(5)], 5)
>>> [len(f) for f in folds]
[2, 2, 2, 2, 2]
>>> sorted({label for f in folds for _, label in f[:1]})
[0]
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from foveal.errors import ConfigError


def stratified_folds(samples: list[tuple[Any, int]], k: int, *, seed: int = 0) -> list[list]:
    """``k`` disjoint folds with every class spread evenly (shuffled, seeded)."""
    by_class: dict[int, list[tuple[Any, int]]] = {}
    for s in samples:
        by_class.setdefault(s[1], []).append(s)
    rng = random.Random(seed)
    folds: list[list[tuple[Any, int]]] = [[] for _ in range(k)]
    offset = 0
    for label in sorted(by_class):
        items = sorted(by_class[label])
        rng.shuffle(items)
        for i, s in enumerate(items):
            folds[(i + offset) % k].append(s)
        offset += len(items)
    return [sorted(f) for f in folds]


@dataclass
class CVResult:
    """Per-fold accuracies, their mean and spread, and where each fold's run folder is."""

    k: int
    accuracies: list[float]
    recipe: str
    recipe_reason: str
    run_dir: Path
    fold_dirs: list[Path] = field(default_factory=list)

    @property
    def mean(self) -> float:
        return float(statistics.fmean(self.accuracies))

    @property
    def std(self) -> float:
        return float(statistics.stdev(self.accuracies)) if len(self.accuracies) > 1 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "mean_accuracy": self.mean,
            "std_accuracy": self.std,
            "fold_accuracies": self.accuracies,
            "recipe": self.recipe,
            "recipe_reason": self.recipe_reason,
            "run_dir": str(self.run_dir),
            "fold_dirs": [str(d) for d in self.fold_dirs],
        }


def cross_validate(
    options: Any, config: Any, k: int, *, lr_for: Any = None, feature_bank: Any = None
) -> CVResult:
    """Train ``k`` models, each on all images but one fold, and score each on its fold.

    Args:
        options: :class:`~foveal.tasks.classify.options.ClassifyOptions` (``val_fraction`` is
            unused: the folds are the validation sets; a ``val/`` folder is pooled with ``train/``).
        config: :class:`~foveal.train.TrainConfig`; ``run_dir`` (default ``runs/classify-cv/N``)
            gets ``fold1`` ... ``foldK`` and ``cv.json``.
        lr_for: ``mode -> learning rate`` when ``config.lr`` should follow the resolved mode.
        feature_bank: a :class:`~foveal.tasks.classify.probe.FeatureBank` to reuse (and fill).
    """
    from foveal.data.imagefolder import Splits, find_split_dirs, scan
    from foveal.tasks.classify.train import ClassificationRecipe
    from foveal.train import Trainer
    from foveal.train.runlog import next_run_dir, write_json

    if k < 2:
        raise ConfigError(f"--cv needs at least 2 folds, got {k}")
    root = Path(options.data)
    dirs = find_split_dirs(root)
    tree = scan(dirs.get("train", root))
    samples = list(tree.samples)
    if "val" in dirs:
        samples += scan(dirs["val"], classes=tree.classes, allow_empty=True).samples
    small = [c for c, n in zip(tree.classes, tree.counts(), strict=True) if 0 < n < k]
    if small:
        raise ConfigError(
            f"class(es) {', '.join(small[:5])} have fewer than {k} images: too few for {k}-fold "
            "cross-validation; use a smaller --cv"
        )
    folds = stratified_folds(samples, k, seed=options.seed)
    base = Path(config.run_dir) if config.run_dir else next_run_dir(Path("runs") / "classify-cv")
    base.mkdir(parents=True, exist_ok=True)
    bank, accs, dirs_out = feature_bank, [], []
    recipe = None
    for i in range(k):
        held = folds[i]
        train = sorted(s for j, f in enumerate(folds) if j != i for s in f)
        splits = Splits(list(tree.classes), train, held, source=f"fold {i + 1} of {k}")
        recipe = ClassificationRecipe(options, splits=splits, feature_bank=bank)
        recipe.select = "last"  # never pick an epoch on the fold that is scored
        cfg = replace(config, run_dir=str(base / f"fold{i + 1}"))
        if lr_for is not None:
            cfg = replace(cfg, lr=lr_for(recipe.train_mode))
        result = Trainer(recipe, cfg).fit()
        bank = recipe.feature_bank
        accs.append(float(result.final["accuracy"]))
        dirs_out.append(cfg.run_dir and Path(cfg.run_dir))
    assert recipe is not None
    out = CVResult(k, accs, recipe.train_mode, recipe.choice.reason, base, dirs_out)
    write_json(base / "cv.json", out.to_dict())
    return out
