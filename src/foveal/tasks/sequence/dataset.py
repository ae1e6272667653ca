"""A labelled sequence set, from a CSV of flattened rows or a folder of clips ``class/clip.mp4``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from foveal.errors import ConfigError
from foveal.tasks.sequence.clips import clip_set
from foveal.tasks.sequence.data import (
    SequenceDataError,
    SequenceSet,
    class_ids,
    read_labels,
    read_sequence_csv,
)


def load_sequence_set(options: Any) -> SequenceSet:
    """The data of :class:`~foveal.tasks.sequence.train.SequenceOptions`: a CSV (needs
    ``step_dims``) or a folder of clips (per-frame ``features``)."""
    data = Path(options.data)
    classes = read_labels(options.labels) if options.labels else None
    if data.is_dir():
        return clip_set(data, options.features, frames=options.frames, backbone=options.backbone)
    if not data.is_file():
        raise SequenceDataError(
            f"{data}: no such file or folder; give a CSV of rows 'label, v1, v2, ...' or a "
            "folder of clips class/clip.mp4"
        )
    if not options.step_dims:
        raise ConfigError(
            f"{data} is a CSV: say how many numbers make one time step with --step-dims D "
            "(2 for x, y points)"
        )
    rows = read_sequence_csv(data, step_dims=options.step_dims)
    where = [f"{data.name} line {n}" for n in rows.lines]
    y, names, problems = class_ids(rows.labels, classes, where=where)
    keep = y >= 0
    if not keep.any():
        raise SequenceDataError(f"{data}: no row has a known label ({problems[0]})")
    return SequenceSet(rows.x[keep], y[keep], names, rows.problems + problems)
