"""Face evaluation: AP and ROC on hand-computed cases, then on the shared data."""

from __future__ import annotations

import numpy as np
import pytest

from foveal.cli import main
from foveal.errors import ConfigError
from foveal.evaluate.faces import detection_ap, read_dlib_xml, verification_metrics


def test_detection_ap_by_hand():
    gt = [
        np.array([[0, 0, 10, 10], [20, 20, 30, 30]], np.float32),
        np.array([[0, 0, 10, 10]], np.float32),
    ]
    # image 0: a hit (0.9), a false positive (0.8), a duplicate of the hit (0.3);
    # image 1: a hit (0.7)
    boxes = [
        np.array([[0, 0, 10, 10], [50, 50, 60, 60], [1, 1, 10, 10]], np.float32),
        np.array([[0, 0, 10, 11]], np.float32),
    ]
    scores = [np.array([0.9, 0.8, 0.3]), np.array([0.7])]
    r = detection_ap(boxes, scores, gt)
    # ranked: TP(0.9) FP(0.8) TP(0.7) FP(0.3); 3 gt. precision at recall 1/3 = 1, at 2/3 = 2/3
    assert r["ap"] == pytest.approx(1 / 3 * 1 + 1 / 3 * 2 / 3, abs=1e-6)
    assert r["recall"] == pytest.approx(2 / 3) and r["fp_per_image"] == pytest.approx(1.0)
    assert detection_ap([np.zeros((0, 4))], [np.zeros(0)], [gt[1]])["ap"] == 0.0


def test_verification_metrics_by_hand():
    d = np.array([0.1, 0.2, 0.3, 0.5, 0.6, 0.9])
    same = np.array([1, 1, 1, 0, 0, 0], bool)
    r = verification_metrics(d, same)
    assert r["auc"] == pytest.approx(1.0) and r["eer"] == 0.0 and r["best_accuracy"] == 1.0
    assert r["best_threshold"] == pytest.approx(0.3)
    r = verification_metrics(np.array([0.1, 0.5, 0.3, 0.9]), np.array([1, 1, 0, 0], bool))
    assert r["auc"] == pytest.approx(0.75)  # one of the 4 (same, different) pairs is mis-ordered
    assert r["tar@far=0.001"]["tar"] == pytest.approx(0.5)
    with pytest.raises(ConfigError):
        verification_metrics(np.array([0.1]), np.array([True]))


def test_read_dlib_xml(shared):
    items = read_dlib_xml(shared / "data/faces/detection/training.xml")
    assert len(items) == 4 and sum(len(b) for _, b in items) == 18
    path, boxes = items[0]
    assert path.name == "2007_007763.jpg" and boxes[0].tolist() == [194, 90, 231, 127]


def test_eval_faces_cli(shared, capsys):
    xml = shared / "data/faces/detection/training.xml"
    assert main(["eval", "faces", "--detection", str(xml), "--json"]) == 0
    import json

    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert {r["model"] for r in rows} == {"yunet.2023mar", "centerface.wider"}
    for r in rows:
        assert r["recall"] >= 0.9 and r["fp_per_image"] <= 1.0 and r["ap"] >= 0.9
    assert main(["eval", "faces", "--verification", str(shared / "data/faces/people/train")]) == 0
    out = capsys.readouterr().out
    assert "accuracy 1.0000 at threshold 0.6" in out
    with pytest.raises(SystemExit):
        main(["eval", "faces", "--bogus"])
