"""COCO mAP: our metric against pycocotools run directly, perfect and hand-computable cases."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from foveal.data.detection import DetectionImage, load_detection
from foveal.errors import ConfigError
from foveal.evaluate.detection import DetectionMetric, evaluate_detections, match_classes
from foveal.results import Detections

CLASSES = ["Platelets", "RBC", "WBC"]


@pytest.fixture(scope="module")
def bccd(shared: Path) -> Path:
    return shared / "data" / "detection" / "bccd" / "BCCD"


def det(boxes, names, scores=None) -> Detections:
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    scores = np.ones(len(boxes)) if scores is None else scores
    return Detections(boxes, scores, np.zeros(len(boxes), np.int64), list(names))


def gt(boxes, ids) -> DetectionImage:
    return DetectionImage(
        Path("x.jpg"), 100, 100, np.asarray(boxes, np.float32).reshape(-1, 4), ids
    )


def noisy_predictions(bccd: Path, seed: int = 0) -> tuple[dict, list[dict], list[str]]:
    """Ground truth straight from the XML, and jittered/missing/spurious predictions, as COCO
    dicts."""
    rng = np.random.default_rng(seed)
    stems = (bccd / "ImageSets" / "Main" / "test.txt").read_text().split()
    images, anns, dets = [], [], []
    for i, stem in enumerate(stems, 1):
        root = ET.parse(bccd / "Annotations" / f"{stem}.xml").getroot()
        images.append(
            {"id": i, "file_name": root.findtext("filename"), "width": 640, "height": 480}
        )
        for o in root.iter("object"):
            bb = o.find("bndbox")
            x1, y1, x2, y2 = (float(bb.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
            cat = CLASSES.index(o.findtext("name")) + 1
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": i,
                    "category_id": cat,
                    "bbox": [x1, y1, x2 - x1, y2 - y1],
                    "area": (x2 - x1) * (y2 - y1),
                    "iscrowd": 0,
                }
            )
            if rng.random() < 0.15:
                continue  # missed
            j = rng.normal(0, 0.08, 4) * [x2 - x1, y2 - y1, x2 - x1, y2 - y1]
            bx = [
                x1 + j[0],
                y1 + j[1],
                max(x2 + j[2], x1 + j[0] + 1),
                max(y2 + j[3], y1 + j[1] + 1),
            ]
            wrong = rng.random() < 0.05
            dets.append(
                {
                    "image_id": i,
                    "category_id": int(rng.integers(1, 4)) if wrong else cat,
                    "bbox": [bx[0], bx[1], bx[2] - bx[0], bx[3] - bx[1]],
                    "score": float(rng.random()),
                }
            )
        for _ in range(int(rng.integers(0, 4))):  # false positives
            x, y = rng.uniform(0, 500), rng.uniform(0, 380)
            dets.append(
                {
                    "image_id": i,
                    "category_id": int(rng.integers(1, 4)),
                    "bbox": [x, y, 60.0, 50.0],
                    "score": float(rng.random() * 0.5),
                }
            )
    cats = [{"id": k + 1, "name": n} for k, n in enumerate(CLASSES)]
    return {"images": images, "annotations": anns, "categories": cats}, dets, stems


def test_matches_pycocotools_run_directly(bccd: Path, tmp_path: Path) -> None:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt_dict, dets, stems = noisy_predictions(bccd)
    (tmp_path / "gt.json").write_text(json.dumps(gt_dict))
    ref_gt = COCO(str(tmp_path / "gt.json"))
    ev = COCOeval(ref_gt, ref_gt.loadRes(dets), "bbox")
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    ref_wbc = ev.eval["precision"][:, :, 2, 0, -1]

    ds = load_detection(bccd, split="test")
    assert [im.id for im in ds] == stems
    metric = DetectionMetric(ds.classes)
    for k, im in enumerate(ds, 1):
        mine = [d for d in dets if d["image_id"] == k]
        boxes = [
            [d["bbox"][0], d["bbox"][1], d["bbox"][0] + d["bbox"][2], d["bbox"][1] + d["bbox"][3]]
            for d in mine
        ]
        metric.update(
            det(
                boxes,
                [CLASSES[d["category_id"] - 1] for d in mine],
                np.array([d["score"] for d in mine]),
            ),
            im,
        )
    s = metric.compute()
    assert 0.3 < ev.stats[0] < 0.9  # a non-trivial case
    assert s.map == pytest.approx(ev.stats[0], abs=1e-6)
    assert s.map50 == pytest.approx(ev.stats[1], abs=1e-6)
    assert s.map75 == pytest.approx(ev.stats[2], abs=1e-6)
    assert s.stats == pytest.approx(list(ev.stats), abs=1e-6)
    assert s.per_class["WBC"]["ap"] == pytest.approx(float(ref_wbc[ref_wbc > -1].mean()), abs=1e-6)
    assert s.num_gt == len(gt_dict["annotations"]) and s.num_predictions == len(dets)


def test_perfect_predictions_score_one(bccd: Path) -> None:
    ds = load_detection(bccd, split="test")
    metric = DetectionMetric(ds.classes)
    for im in ds:
        metric.update(
            det(im.boxes, [ds.classes[c] for c in im.class_ids], np.linspace(1, 0.5, len(im))), im
        )
    s = metric.compute()
    assert s.map == pytest.approx(1.0) and s.map50 == pytest.approx(1.0)
    assert all(c["ap"] == pytest.approx(1.0) for c in s.per_class.values())


def test_known_shift_gives_hand_computed_ap() -> None:
    # A 10x10 box predicted 2 px to the right: IoU = 8*10 / (12*10) = 2/3, so it matches at
    # thresholds .50, .55, .60, .65 (AP 1) and fails at .70 ... .95 (AP 0): mAP = 4/10.
    m = DetectionMetric(CLASSES)
    m.update(det([[12, 10, 22, 20]], ["RBC"]), gt([[10, 10, 20, 20]], [1]))
    s = m.compute()
    assert (
        s.map == pytest.approx(0.4)
        and s.map50 == pytest.approx(1.0)
        and s.map75 == pytest.approx(0.0)
    )
    assert s.per_class["RBC"]["ap"] == pytest.approx(0.4)
    assert s.per_class["WBC"]["ap"] is None  # no ground truth for it: left out of the mean


def test_half_recall_gives_51_of_101_points() -> None:
    # Two objects, one found exactly: precision 1 at recall 0..0.5, nothing beyond: COCO's
    # 101-point interpolation gives 51/101.
    m = DetectionMetric(CLASSES)
    m.update(det([[0, 0, 10, 10]], ["WBC"]), gt([[0, 0, 10, 10], [50, 50, 70, 70]], [2, 2]))
    assert m.compute().map == pytest.approx(51 / 101)


def test_difficult_and_zero_area_ground_truth_are_ignored() -> None:
    m = DetectionMetric(CLASSES)
    target = DetectionImage(
        Path("x.jpg"),
        100,
        100,
        [[0, 0, 10, 10], [40, 40, 60, 60], [5, 5, 5, 5]],
        [0, 0, 0],
        difficult=[False, True, False],
    )
    m.update(det([[0, 0, 10, 10]], ["Platelets"]), target)
    s = m.compute()
    assert s.map == pytest.approx(1.0) and s.ignored_gt == 1 and s.num_gt == 1


def test_no_predictions_and_unknown_names() -> None:
    m = DetectionMetric(CLASSES)
    m.update(Detections.empty(), gt([[0, 0, 10, 10]], [0]))
    m.update(det([[0, 0, 10, 10]], ["person"]), gt([[0, 0, 10, 10]], [0]))
    s = m.compute()
    assert s.map == 0.0 and s.unmatched_predictions == 1
    assert "1 predictions had class names outside" in s.to_text()


def test_class_mismatch_errors() -> None:
    with pytest.raises(ConfigError, match="share no name"):
        match_classes(CLASSES, ["person", "car"])
    assert match_classes(CLASSES, ["RBC", "WBC", "dog"]) == ["Platelets"]
    images = [gt([[0, 0, 10, 10]], [1])]
    with pytest.raises(ConfigError, match="not in the dataset"):
        evaluate_detections(lambda p: det([[0, 0, 10, 10]], ["person"]), images, CLASSES)
    with pytest.raises(ConfigError, match="no images"):
        DetectionMetric(CLASSES).compute()


def test_pr_plot_png(tmp_path: Path) -> None:
    from PIL import Image

    m = DetectionMetric(CLASSES)
    m.update(
        det([[0, 0, 10, 10], [50, 50, 60, 60]], ["WBC", "RBC"], np.array([0.9, 0.4])),
        gt([[0, 0, 10, 10], [50, 50, 61, 60]], [2, 1]),
    )
    out = m.compute().plot_pr(tmp_path / "plots" / "pr.png")
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (640, 480)


def test_torch_dataset_targets_are_accepted(shared: Path) -> None:
    import torch

    from foveal.data.detection_torch import TorchDetectionDataset

    ds = load_detection(shared / "data" / "detection" / "bccd" / "BCCD", split="test")
    tds = TorchDetectionDataset(ds, size=320)
    m = DetectionMetric(ds.classes)
    for i in range(3):
        _, t = tds[i]
        assert isinstance(t["boxes"], torch.Tensor)
        names = [ds.classes[c] for c in t["labels"].tolist()]
        m.update(det(t["boxes"].numpy(), names), t)
    assert m.compute().map == pytest.approx(1.0)
