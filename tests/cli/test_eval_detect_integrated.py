"""`foveal eval detect` with the real pretrained detector."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from foveal.cli import main


def test_eval_pretrained_detector_on_its_own_pseudo_labels(
    photos: dict, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    import foveal
    from foveal.data.detection import (
        DetectionDataset,
        DetectionImage,
        load_detection,
        save_detection,
    )
    from foveal.io import load_image

    preds = {
        name: foveal.detect(photos[name], model="yolox_nano.coco", conf=0.3, iou=0.45)
        for name in ("astronaut", "chelsea", "coffee")
    }
    assert "person" in preds["astronaut"].names
    assert "cat" in preds["chelsea"].names
    assert "cup" in preds["coffee"].names
    classes = sorted({n for d in preds.values() for n in d.names})
    images = []
    for name, d in preds.items():
        h, w = load_image(photos[name]).shape[:2]
        images.append(
            DetectionImage(
                photos[name], w, h, d.xyxy, [classes.index(n) for n in d.names], split="val"
            )
        )
    save_detection(DetectionDataset(images, classes), tmp_path / "coco", "coco")
    assert load_detection(tmp_path / "coco").num_boxes == sum(len(d) for d in preds.values())

    code = main(
        [
            "eval",
            "detect",
            str(tmp_path / "coco"),
            "--model",
            "yolox_nano.coco",
            "--conf",
            "0.3",
            "--iou",
            "0.45",
            "--json",
            "--no-progress",
            "--plot",
            str(tmp_path / "pr.png"),
        ]
    )
    assert code == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["split"] == "val" and rep["images"] == 3
    assert rep["map"] == pytest.approx(1.0) and rep["map50"] == pytest.approx(1.0)
    assert (tmp_path / "pr.png").is_file()


def test_eval_coco_model_on_blood_cells_is_a_clear_error(
    shared: Path, capsys: pytest.CaptureFixture
) -> None:
    bccd = shared / "data" / "detection" / "bccd" / "BCCD"
    assert main(["eval", "detect", str(bccd), "--model", "yolox_nano.coco", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "share no name" in err or "not in the dataset" in err
