"""HOTA (foveal's numpy implementation of TrackEval's definition) against a hand-made case and
against ``trackers.eval`` (TrackEval parity); MOTA / IDF1 / ID switches against it too."""

from __future__ import annotations

import numpy as np
import pytest

from foveal.evaluate.tracking import clear_mot, hota


def walk(ids_from_frame3: int = 1) -> tuple[np.ndarray, np.ndarray]:
    gt = np.array([[f, 1, 10 * f, 0, 10, 10, 1] for f in range(1, 5)], float)
    pred = gt.copy()
    pred[2:, 1] = ids_from_frame3
    return gt, pred


def test_hand_made_cases() -> None:
    gt, pred = walk()
    assert hota(gt, pred)["HOTA"] == pytest.approx(1.0)
    # an ID switch halfway: every box found (DetA 1); each tracker ID covers half of the object's
    # life: A = 2 / (4 + 2 - 2) = 0.5 for both, AssA = 0.5, HOTA = sqrt(0.5)
    gt, pred = walk(ids_from_frame3=2)
    h = hota(gt, pred)
    assert (h["DetA"], h["AssA"]) == (pytest.approx(1.0), pytest.approx(0.5))
    assert h["HOTA"] == pytest.approx(np.sqrt(0.5))
    c = clear_mot(gt, pred)
    assert c["IDSW"] == 1 and c["MOTA"] == pytest.approx(0.75)
    # boxes shifted to IoU 0.6 (10x10 boxes overlapping 7.5 px): found only at alphas <= 0.6
    shifted = gt.copy()
    shifted[:, 2] += 2.5
    h = hota(gt, shifted)
    assert h["DetA"] == pytest.approx(12 / 19)  # alphas 0.05 ... 0.60 of the 19
    # LocA is 0.6 where boxes match, and 1 (TrackEval's convention) at alphas with no match
    assert h["LocA"] == pytest.approx((12 * 0.6 + 7 * 1.0) / 19)


def test_equal_to_trackers_eval_on_a_noisy_sequence(tmp_path) -> None:
    from trackers.eval import evaluate_mot_sequence

    rng = np.random.default_rng(1)
    gt = np.array(
        [
            [f, i, 50 * i + 2 * f, 40 + 10 * i, 30, 60, 1, 1, 1]
            for f in range(1, 31)
            for i in range(1, 6)
        ],
        float,
    )
    pred = gt.copy()
    pred[:, 2:4] += rng.normal(0, 4, (len(pred), 2))
    switch = (pred[:, 0] > 15) & (pred[:, 1] == 2)
    pred[switch, 1] = 12  # an ID switch
    pred = pred[rng.random(len(pred)) > 0.1]  # misses
    pred = np.concatenate([pred, [[f, 99, 400, 300, 30, 60, 1, 1, 1] for f in range(1, 10)]])
    np.savetxt(tmp_path / "gt.txt", gt, "%g", ",")
    np.savetxt(tmp_path / "pred.txt", pred[:, :7], "%g", ",")
    peer = evaluate_mot_sequence(
        tmp_path / "gt.txt", tmp_path / "pred.txt", metrics=["CLEAR", "HOTA", "Identity"]
    )
    ours = hota(gt, pred)
    for key in ("HOTA", "DetA", "AssA"):
        assert ours[key] == pytest.approx(getattr(peer.HOTA, key), abs=1e-9), key
    assert ours["LocA"] == pytest.approx(peer.HOTA.LocA, abs=1e-6)  # its IoUs differ in 1e-7
    assert 0.3 < ours["HOTA"] < 0.9  # a case that exercises every term
    c = clear_mot(gt, pred)
    assert c["MOTA"] == pytest.approx(peer.CLEAR.MOTA, abs=1e-9)
    assert c["IDF1"] == pytest.approx(peer.Identity.IDF1, abs=1e-9)
    assert c["IDSW"] == peer.CLEAR.IDSW == 1


def test_empty_tracker_output_scores_zero() -> None:
    gt, _ = walk()
    h = hota(gt, np.zeros((0, 7)))
    assert h["HOTA"] == 0.0 and h["HOTA_FN"] == 4
