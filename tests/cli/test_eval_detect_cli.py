"""`foveal eval detect` plumbing, with ground truth served as predictions by a stand-in detector."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import foveal.cli.commands.eval_detect as eval_detect
from foveal.cli import main
from foveal.data.detection import load_detection
from foveal.io import iter_sources
from foveal.results import Detections


@pytest.fixture(scope="module")
def bccd(shared: Path) -> Path:
    return shared / "data" / "detection" / "bccd" / "BCCD"


@pytest.fixture
def oracle(bccd: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """The detector replaced by one returning the ground truth (optionally renamed/shifted)."""
    ds = load_detection(bccd)
    truth = {im.path: im for im in ds}
    opts = {"rename": None, "shift": 0.0, "calls": []}

    class Oracle:
        """Stands in for the shared Detector: ``predict_batch`` over the same sources."""

        labels: tuple[str, ...] = ()  # class names unknown up front: checked on the predictions

        def __init__(self, model: str) -> None:
            self.model = model

        def predict_batch(self, sources, *, report=None, conf, iou, max_det):
            for item in iter_sources(sources, report=report):
                opts["calls"].append((item.path.name, self.model, conf, iou, max_det))
                im = truth[item.path]
                names = [opts["rename"] or ds.classes[c] for c in im.class_ids]
                yield (
                    item,
                    Detections(
                        im.boxes + np.float32(opts["shift"]),
                        np.linspace(0.9, 0.5, len(im)),
                        im.class_ids,
                        names,
                    ),
                )

    monkeypatch.setattr(eval_detect, "load_detector", lambda model, backend="onnx": Oracle(model))
    return opts


def test_eval_detect_ground_truth_scores_one(
    bccd: Path, oracle: dict, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    plot = tmp_path / "pr.png"
    code = main(
        [
            "eval",
            "detect",
            str(bccd),
            "--model",
            "oracle",
            "--json",
            "--plot",
            str(plot),
            "--no-progress",
        ]
    )
    assert code == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["split"] == "test" and rep["images"] == 72  # default split: test
    assert rep["map"] == pytest.approx(1.0) and rep["map50"] == pytest.approx(1.0)
    assert set(rep["per_class"]) == {"Platelets", "RBC", "WBC"}
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(oracle["calls"]) == 72 and oracle["calls"][0][1:] == ("oracle", 0.001, 0.65, 100)


def test_eval_detect_text_report_and_split(
    bccd: Path, oracle: dict, capsys: pytest.CaptureFixture
) -> None:
    oracle["shift"] = 1000.0  # every box far away: nothing matches
    assert (
        main(["eval", "detect", str(bccd), "--model", "oracle", "--split", "val", "--no-progress"])
        == 0
    )
    out = capsys.readouterr().out
    assert "split val" in out and "mAP@[.5:.95] 0.0000" in out and "WBC" in out


def test_eval_detect_model_with_other_classes(
    bccd: Path, oracle: dict, capsys: pytest.CaptureFixture
) -> None:
    oracle["rename"] = "person"
    assert main(["eval", "detect", str(bccd), "--model", "oracle", "--no-progress"]) == 2
    assert "not in the dataset" in capsys.readouterr().err


def test_eval_detect_bad_options(bccd: Path, oracle: dict, capsys: pytest.CaptureFixture) -> None:
    assert main(["eval", "detect", str(bccd), "--model", "oracle", "--conf", "2"]) == 2
    assert "--conf must be in [0, 1]" in capsys.readouterr().err
    assert main(["eval", "detect", str(bccd), "--model", "oracle", "--split", "nope"]) == 2
    assert (
        "no images in split 'nope'; the splits here are: test, train, val"
        in capsys.readouterr().err
    )
