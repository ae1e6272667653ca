"""Detection dataset readers/writers on the real BCCD data (Pascal VOC), with independent golden
counts."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from foveal.data.detection import DatasetError, load_detection, save_detection, sniff_format


@pytest.fixture(scope="module")
def bccd(shared: Path) -> Path:
    return shared / "data" / "detection" / "bccd" / "BCCD"


def _golden(bccd: Path) -> tuple[int, Counter, dict[str, list[tuple[str, tuple[float, ...]]]]]:
    """Count boxes straight from the XML with xml.etree (independent of foveal)."""
    total, per_class, per_file = 0, Counter(), {}
    for f in sorted((bccd / "Annotations").glob("*.xml")):
        root = ET.parse(f).getroot()
        objs = []
        for o in root.iter("object"):
            bb = o.find("bndbox")
            objs.append(
                (
                    o.findtext("name"),
                    tuple(float(bb.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax")),
                )
            )
        per_file[root.findtext("filename")] = objs
        total += len(objs)
        per_class.update(n for n, _ in objs)
    return total, per_class, per_file


def test_bccd_golden_counts(bccd: Path) -> None:
    total, per_class, _ = _golden(bccd)
    assert total == 4888  # the figure the dataset README gives
    ds = load_detection(bccd)
    assert ds.format == "voc" and len(ds) == 364 and ds.num_boxes == total
    assert ds.classes == ["Platelets", "RBC", "WBC"]
    assert ds.class_counts() == dict(per_class)
    for split in ("train", "val", "test"):
        listed = (bccd / "ImageSets" / "Main" / f"{split}.txt").read_text().split()
        sub = ds.subset(split)
        assert sorted(im.id for im in sub) == sorted(listed)
    assert ds.splits == {"test": 72, "train": 205, "val": 87}
    assert all((im.width, im.height) == (640, 480) for im in ds)


def test_bccd_split_reading(bccd: Path) -> None:
    test = load_detection(bccd, split="test")
    assert len(test) == 72 and {im.split for im in test} == {"test"}
    with pytest.raises(DatasetError, match="no ImageSets/Main/nope.txt"):
        load_detection(bccd, split="nope")


def test_roundtrip_voc_coco_yolo_voc(bccd: Path, tmp_path: Path) -> None:
    _, _, golden = _golden(bccd)
    voc = load_detection(bccd)
    save_detection(voc, tmp_path / "coco", "coco", images="link")
    coco = load_detection(tmp_path / "coco")
    assert coco.format == "coco"
    yml = save_detection(coco, tmp_path / "yolo", "yolo", images="link")
    yolo = load_detection(yml)
    assert yolo.format == "yolo"
    save_detection(yolo, tmp_path / "voc", "voc", images="link")
    back = load_detection(tmp_path / "voc")
    assert back.format == "voc" and back.classes == voc.classes
    assert len(back) == 364 and back.num_boxes == 4888 and back.splits == voc.splits
    for im in back:
        want = golden[im.file_name]
        got = sorted(
            (back.classes[c], tuple(b))
            for b, c in zip(im.boxes.tolist(), im.class_ids, strict=True)
        )
        want_sorted = sorted(want)
        assert [n for n, _ in got] == [n for n, _ in want_sorted]
        np.testing.assert_allclose([b for _, b in got], [b for _, b in want_sorted], atol=1e-3)
        assert im.path.is_file()


def test_coco_output_loads_in_pycocotools(bccd: Path, tmp_path: Path) -> None:
    from pycocotools.coco import COCO

    _, per_class, _ = _golden(bccd)
    save_detection(load_detection(bccd), tmp_path, "coco", images="link")
    counts: Counter = Counter()
    n_images = 0
    for f in sorted((tmp_path / "annotations").glob("instances_*.json")):
        api = COCO(str(f))
        n_images += len(api.getImgIds())
        for cat in api.loadCats(api.getCatIds()):
            counts[cat["name"]] += len(api.getAnnIds(catIds=[cat["id"]]))
        for img in api.loadImgs(api.getImgIds()):
            assert (tmp_path / "images" / f.stem.split("_", 1)[1] / img["file_name"]).is_file()
    assert n_images == 364 and counts == per_class


def test_yolo_lines_are_normalised_centres(bccd: Path, tmp_path: Path) -> None:
    ds = load_detection(bccd, split="val")
    save_detection(ds, tmp_path, "yolo", images="link")
    im = ds[0]
    lines = (
        (tmp_path / "labels" / "val" / f"{Path(im.file_name).stem}.txt").read_text().splitlines()
    )
    assert len(lines) == len(im)
    c, cx, cy, w, h = lines[0].split()
    x1, y1, x2, y2 = im.boxes[0]
    assert int(c) == im.class_ids[0]
    assert float(cx) == pytest.approx((x1 + x2) / 2 / 640, abs=1e-6)
    assert float(cy) == pytest.approx((y1 + y2) / 2 / 480, abs=1e-6)
    assert float(w) == pytest.approx((x2 - x1) / 640, abs=1e-6)
    assert float(h) == pytest.approx((y2 - y1) / 480, abs=1e-6)
    data = (tmp_path / "data.yaml").read_text()
    assert "val: images/val" in data and "0: Platelets" in data


def test_coco_file_and_category_ids(tmp_path: Path, bccd: Path) -> None:
    img = bccd / "JPEGImages" / "BloodImage_00000.jpg"
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.jpg").write_bytes(img.read_bytes())
    doc = {
        "images": [{"id": 7, "file_name": "a.jpg", "width": 640, "height": 480}],
        "annotations": [
            {"id": 1, "image_id": 7, "category_id": 18, "bbox": [10, 20, 30, 40], "iscrowd": 0},
            {"id": 2, "image_id": 7, "category_id": 1, "bbox": [0, 0, 5, 5], "iscrowd": 1},
        ],
        "categories": [{"id": 18, "name": "dog"}, {"id": 1, "name": "person"}],
    }
    f = tmp_path / "instances_val.json"
    f.write_text(json.dumps(doc))
    assert sniff_format(f) == "coco"
    ds = load_detection(f)
    assert ds.classes == ["person", "dog"]  # ascending category id
    im = ds[0]
    assert im.split == "val" and im.id == 7 and im.path == tmp_path / "images" / "a.jpg"
    np.testing.assert_allclose(im.boxes, [[10, 20, 40, 60], [0, 0, 5, 5]])
    assert im.class_ids.tolist() == [1, 0] and im.difficult.tolist() == [False, True]


def test_yolo_polygon_and_list_file(tmp_path: Path, bccd: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    (tmp_path / "images" / "a.jpg").write_bytes(
        (bccd / "JPEGImages" / "BloodImage_00000.jpg").read_bytes()
    )
    (tmp_path / "labels" / "a.txt").write_text("1 0.1 0.1 0.5 0.2 0.3 0.6\n")
    (tmp_path / "list.txt").write_text("./images/a.jpg\n")
    (tmp_path / "data.yaml").write_text("train: list.txt\nnames: [a, b]\n")
    ds = load_detection(tmp_path)
    assert ds.format == "yolo" and ds.classes == ["a", "b"]
    np.testing.assert_allclose(ds[0].boxes, [[64, 48, 320, 288]], atol=1e-3)


def test_sniff_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file"):
        sniff_format(tmp_path / "missing")
    with pytest.raises(DatasetError, match="does not look like a detection dataset"):
        sniff_format(tmp_path)
    (tmp_path / "x.csv").write_text("a")
    with pytest.raises(DatasetError, match="expected a COCO .json"):
        sniff_format(tmp_path / "x.csv")


def test_writer_refuses_name_clash(tmp_path: Path, bccd: Path) -> None:
    from foveal.data.detection import DetectionDataset, DetectionImage

    a = tmp_path / "a" / "x.jpg"
    b = tmp_path / "b" / "x.jpg"
    for p in (a, b):
        p.parent.mkdir()
        p.write_bytes((bccd / "JPEGImages" / "BloodImage_00000.jpg").read_bytes())
    ds = DetectionDataset([DetectionImage(a, 640, 480), DetectionImage(b, 640, 480)], ["c"])
    with pytest.raises(DatasetError, match="rename one"):
        save_detection(ds, tmp_path / "out", "voc")


def test_datasets_without_splits_and_fix_boxes(tmp_path: Path, bccd: Path) -> None:
    from foveal.data.detection import DetectionDataset, DetectionImage, fix_boxes

    img = tmp_path / "src" / "a.jpg"
    img.parent.mkdir()
    img.write_bytes((bccd / "JPEGImages" / "BloodImage_00000.jpg").read_bytes())
    ds = DetectionDataset(
        [
            DetectionImage(
                img, 640, 480, [[-10, 5, 50, 60], [30, 30, 30, 40], [1, 2, 3, 4]], [0, 1, 0]
            )
        ],
        ["a", "b"],
    )
    save_detection(ds, tmp_path / "coco", "coco")
    back = load_detection(tmp_path / "coco")
    assert (
        back[0].split is None and (tmp_path / "coco" / "annotations" / "instances.json").is_file()
    )
    np.testing.assert_allclose(back[0].boxes, ds[0].boxes)
    yml = save_detection(ds, tmp_path / "yolo", "yolo")
    assert (
        load_detection(yml)[0].split == "train"
    )  # YOLO needs a split: images without one go to train
    fixed, clipped, dropped = fix_boxes(ds)
    assert (clipped, dropped) == (1, 1)
    np.testing.assert_allclose(fixed[0].boxes, [[0, 5, 50, 60], [1, 2, 3, 4]])
    assert fixed[0].class_ids.tolist() == [0, 0]
