"""The gestures rows of the promise benchmark: the classical baseline on the real split."""

from __future__ import annotations

from foveal.bench.promise.gestures import classical_row
from foveal.tasks.sequence.data import (
    SequenceSet,
    class_ids,
    read_labels,
    read_sequence_csv,
    split_by_order,
)


def test_motion_features_baseline_on_the_recording_order_split(shared) -> None:
    root = shared / "data" / "gestures"
    rows = read_sequence_csv(root / "point_history.csv", step_dims=2)
    y, classes, _ = class_ids(rows.labels, read_labels(root / "point_history_labels.csv"))
    data = SequenceSet(rows.x, y, classes)
    tr, te = split_by_order(y, 0.15)
    row = classical_row("logistic", data, tr, te, classes)
    assert not row.skipped, row.note
    # hand-crafted motion features separate the four gestures well, but not perfectly
    assert 0.85 < row.value < 0.98
    assert row.extra["test_rows"] == 675
    # 16 test rows hold no motion at all (all zeros): without them the accuracy is higher
    assert row.extra["accuracy_rows_with_motion"] > row.value
    assert row.extra["recall_Clockwise"] > 0.95
