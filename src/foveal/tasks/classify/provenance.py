"""Which images a classifier was trained on: ``train_files.json`` in the run folder (paths and
content hashes), so that ``foveal eval classify`` can warn when it scores training images.

>>> import tempfile, shutil
>>> run = tempfile.mkdtemp()
>>> _ = write_training_files(run, ["cat.jpg"])
>>> [p.name for p in seen_in_training(run, ["cat.jpg", "coffee.png"])]
['cat.jpg']
>>> shutil.rmtree(run)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from foveal.zoo.resolve import sha256_file

TRAIN_FILES = "train_files.json"


def write_training_files(run_dir: str | os.PathLike, paths: Sequence[str | os.PathLike]) -> Path:
    """Write ``run_dir/train_files.json``: every training image's path and SHA-256 (atomic)."""
    from foveal.train.runlog import write_json

    files = [{"path": str(Path(p).resolve()), "sha256": sha256_file(p)} for p in paths]
    return write_json(Path(run_dir) / TRAIN_FILES, {"files": files})


def seen_in_training(run_dir: str | os.PathLike, paths: Sequence[str | os.PathLike]) -> list[Path]:
    """The ``paths`` a run was trained on (same file, or same content elsewhere); empty when the
    run folder records no training files."""
    import json

    record = Path(run_dir) / TRAIN_FILES
    if not record.is_file():
        return []
    files = json.loads(record.read_text(encoding="utf-8")).get("files", [])
    known_paths = {f["path"] for f in files}
    known_hashes = {f["sha256"] for f in files}
    seen = []
    for p in paths:
        if str(Path(p).resolve()) in known_paths or sha256_file(p) in known_hashes:
            seen.append(Path(p))
    return seen
