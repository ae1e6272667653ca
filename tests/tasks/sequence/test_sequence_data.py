"""Sequence CSV reading, labels, the split by recording order and the motion features, on the
shared gesture rows."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from foveal.tasks.sequence.data import (
    SequenceDataError,
    class_ids,
    read_labels,
    read_sequence_csv,
    split_by_order,
)


@pytest.fixture(scope="module")
def gestures(shared):
    root = shared / "data" / "gestures"
    rows = read_sequence_csv(root / "point_history.csv", step_dims=2)
    y, classes, problems = class_ids(rows.labels, read_labels(root / "point_history_labels.csv"))
    return rows, y, classes, problems


def test_reads_the_shared_rows(gestures) -> None:
    rows, y, classes, problems = gestures
    assert rows.x.shape == (4502, 16, 2) and not rows.problems and not problems
    assert classes == ["Stop", "Clockwise", "Counter Clockwise", "Move"]
    assert np.all(rows.x[:, 0] == 0)  # every track is relative to its first point


def test_split_keeps_the_last_rows_of_each_class_for_test(gestures) -> None:
    _, y, _, _ = gestures
    tr, te = split_by_order(y, 0.15)
    assert len(set(tr) & set(te)) == 0 and len(tr) + len(te) == len(y)
    for c in range(4):
        rows = np.flatnonzero(y == c)
        test_c = te[y[te] == c]
        assert np.array_equal(test_c, rows[-len(test_c) :])  # the tail, in file order
        assert abs(len(test_c) - 0.15 * len(rows)) <= 1
    assert np.bincount(y[te]).tolist() == [189, 157, 163, 166]


def test_bad_rows_are_skipped_with_one_line_each(tmp_path) -> None:
    csv = tmp_path / "rows.csv"
    csv.write_text("0,0,0,1,1\n1,0,0,x,1\n\n1,0,0,-1\n2,0,0,nan,1\n1,0,0,-1,-1\n")
    rows = read_sequence_csv(csv, step_dims=2)
    assert rows.x.shape == (2, 2, 2) and rows.lines == [1, 6]
    assert rows.problems == [
        "rows.csv line 2: cell 4 is 'x', not a number",
        "rows.csv line 4: 3 numbers; expected 4 (2 steps x 2)",
        "rows.csv line 5: cell 4 is 'nan', not a finite number",
    ]


def test_a_file_without_any_usable_row_is_one_clear_error(tmp_path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("a,b,c\n")
    with pytest.raises(SequenceDataError, match="no usable sequence row"):
        read_sequence_csv(csv, step_dims=2)
    with pytest.raises(SequenceDataError, match="cannot read"):
        read_sequence_csv(tmp_path / "missing.csv", step_dims=2)


def test_unknown_labels_are_reported_and_left_out() -> None:
    ids, classes, problems = class_ids(["Stop", "3", "Wave", "1"], ["Stop", "Move", "a", "b"])
    assert ids.tolist() == [0, 3, -1, 1]
    assert problems == ["row 3: unknown label 'Wave'; the classes are Stop, Move, a, b"]


def test_motion_features_tell_clockwise_from_counter_clockwise(gestures) -> None:
    from foveal.tasks.sequence.motion import FEATURE_NAMES, motion_features

    rows, y, _, _ = gestures
    winding = motion_features(rows.x)[:, FEATURE_NAMES.index("winding")]
    # image y points down: the "Clockwise" class turns the positive way in these coordinates
    assert np.median(winding[y == 1]) > 3 and np.median(winding[y == 2]) < -3
    assert abs(np.median(winding[y == 3])) < 0.5  # Move: straight


def test_augmentations_keep_what_defines_the_class() -> None:
    from foveal.tasks.sequence.motion import FEATURE_NAMES, motion_features
    from foveal.tasks.sequence.train import lost_steps, rotate_pairs

    t = torch.linspace(0, 2 * np.pi, 16)
    circle = torch.stack([torch.cos(t) - 1, torch.sin(t)], 1)[None].repeat(8, 1, 1)
    torch.manual_seed(0)
    turned = rotate_pairs(circle, scale=(1.0, 1.0))
    w0 = motion_features(circle.numpy())[:, FEATURE_NAMES.index("winding")]
    w1 = motion_features(turned.numpy())[:, FEATURE_NAMES.index("winding")]
    np.testing.assert_allclose(w0, w1, atol=1e-3)  # rotation keeps the turning direction
    lost = lost_steps(circle, p=1.0)
    changed = (lost != circle).any(dim=2)
    assert changed.any(dim=1).all() and not changed[:, 0].any()  # the first step stays the origin


def test_rows_with_or_without_labels_are_told_apart_by_width(tmp_path) -> None:
    csv = tmp_path / "mixed.csv"
    csv.write_text("0.1,0.2,0.3\n1,0,0,1,1\n1,0,0,2,2\n0,0,3,3\n")
    rows = read_sequence_csv(csv, step_dims=2, steps=2, label_column=None)
    assert rows.labels == ["1", "1"] and rows.lines == [2, 3]
    assert rows.problems[0] == (
        "mixed.csv line 1: 3 cells; expected 4 numbers (2 steps x 2), or a label and them"
    )
    assert rows.problems[1] == "mixed.csv line 4: 3 numbers; expected 4 (2 steps x 2)"
