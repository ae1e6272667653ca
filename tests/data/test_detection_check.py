"""`check_detection` on broken datasets: each kind of problem is found and named, never a crash."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from foveal.data.check import check_detection_path
from foveal.data.detection import DatasetError, load_detection

VOC_XML = """<annotation><filename>{name}</filename><size><width>{w}</width><height>{h}</height>
<depth>3</depth></size>{objects}</annotation>"""
OBJ = (
    "<object><name>{c}</name><difficult>0</difficult><bndbox><xmin>{b[0]}</xmin><ymin>{b[1]}</ymin>"
    "<xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>"
)


@pytest.fixture(scope="module")
def jpg(shared: Path) -> Path:
    return shared / "data" / "detection" / "bccd" / "BCCD" / "JPEGImages" / "BloodImage_00000.jpg"


def make_voc(
    root: Path, jpg: Path, items: dict[str, list[tuple[str, tuple]]], w: int = 640, h: int = 480
) -> Path:
    (root / "Annotations").mkdir(parents=True)
    (root / "JPEGImages").mkdir()
    for stem, objs in items.items():
        shutil.copyfile(jpg, root / "JPEGImages" / f"{stem}.jpg")
        body = "".join(OBJ.format(c=c, b=b) for c, b in objs)
        (root / "Annotations" / f"{stem}.xml").write_text(
            VOC_XML.format(name=f"{stem}.jpg", w=w, h=h, objects=body)
        )
    return root


def test_clean_dataset_with_an_image_without_objects(tmp_path: Path, jpg: Path) -> None:
    root = make_voc(tmp_path, jpg, {"a": [("RBC", (1, 2, 30, 40))], "empty": []})
    r = check_detection_path(root)
    assert r.ok, r.to_text()
    assert "images without objects: 1" in r.to_text() and "OK" in r.to_text()
    assert r.to_dict()["summary"]["images_without_objects"] == 1


def test_real_bccd_has_two_zero_area_boxes(shared: Path) -> None:
    r = check_detection_path(shared / "data" / "detection" / "bccd" / "BCCD")
    assert r.counts() == {"zero_area": 2}
    assert sorted(Path(p.source).name for p in r.problems) == [
        "BloodImage_00338.xml",
        "BloodImage_00343.xml",
    ]


def test_out_of_range_and_zero_area_boxes(tmp_path: Path, jpg: Path) -> None:
    root = make_voc(
        tmp_path,
        jpg,
        {
            "a": [
                ("RBC", (-5, 2, 30, 40)),
                ("RBC", (600, 400, 700, 470)),
                ("RBC", (10, 10, 10, 20)),
                ("RBC", (10, 10, 20, 5)),
            ]
        },
    )
    r = check_detection_path(root)
    assert r.counts() == {"box_outside": 2, "zero_area": 2}
    assert "reaches outside the 640x480 image" in r.to_text()


def test_corrupt_voc_xml(tmp_path: Path, jpg: Path) -> None:
    root = make_voc(tmp_path, jpg, {"a": [("RBC", (1, 2, 30, 40))], "b": []})
    (root / "Annotations" / "b.xml").write_text("<annotation><size>")
    with pytest.raises(DatasetError, match=r"b\.xml: is not valid XML"):
        load_detection(root)
    (root / "Annotations" / "c.xml").write_text(
        VOC_XML.format(
            name="a.jpg",
            w=640,
            h=480,
            objects="<object><name>RBC</name><bndbox><xmin>x</xmin></bndbox></object>",
        )
    )
    r = check_detection_path(root)
    assert r.counts() == {"corrupt_label": 2, "duplicate_image": 1}
    assert len(r.dataset) == 2  # a and c (c's broken object dropped), b skipped


def test_unknown_class_names(tmp_path: Path, jpg: Path) -> None:
    root = make_voc(tmp_path, jpg, {"a": [("RBC", (1, 2, 30, 40)), ("rbc ", (1, 2, 30, 40))]})
    with pytest.raises(DatasetError, match="class 'rbc' is not one of"):
        load_detection(root, classes=["RBC", "WBC"])
    r = check_detection_path(root, classes=["RBC", "WBC"])
    assert r.counts() == {"unknown_class": 1} and r.dataset.num_boxes == 1


def test_missing_and_empty_images(tmp_path: Path, jpg: Path) -> None:
    root = make_voc(tmp_path, jpg, {"a": [("RBC", (1, 2, 30, 40))], "b": [], "c": []})
    (root / "JPEGImages" / "a.jpg").unlink()
    (root / "JPEGImages" / "b.jpg").write_bytes(b"")
    (root / "JPEGImages" / "c.jpg").write_bytes(b"not an image at all")
    r = check_detection_path(root)
    assert r.counts() == {"missing_image": 1, "unreadable_image": 2}
    assert "is empty (0 bytes)" in r.to_text()


def test_size_mismatch(tmp_path: Path, jpg: Path) -> None:
    root = make_voc(tmp_path, jpg, {"a": []}, w=320, h=240)
    assert check_detection_path(root).counts() == {"size_mismatch": 1}


def test_split_lists_missing_labels_duplicates_and_overlap(tmp_path: Path, jpg: Path) -> None:
    root = make_voc(tmp_path, jpg, {"a": [], "b": []})
    main = root / "ImageSets" / "Main"
    main.mkdir(parents=True)
    (main / "train.txt").write_text("a\na\nzz\n")
    (main / "test.txt").write_text("a\nb\n")
    r = check_detection_path(root)
    assert r.counts() == {"duplicate_id": 1, "missing_label": 1, "split_overlap": 1}


def _coco(tmp_path: Path, jpg: Path, doc: dict) -> Path:
    (tmp_path / "images").mkdir(exist_ok=True)
    shutil.copyfile(jpg, tmp_path / "images" / "a.jpg")
    f = tmp_path / "annotations.json"
    f.write_text(json.dumps(doc))
    return f


def test_coco_duplicate_ids_unknown_category_bad_bbox(tmp_path: Path, jpg: Path) -> None:
    doc = {
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": 640, "height": 480},
            {"id": 1, "file_name": "a.jpg", "width": 640, "height": 480},
        ],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 10, 10]},
            {"id": 1, "image_id": 1, "category_id": 9, "bbox": [1, 1, 10, 10]},
            {"id": 3, "image_id": 1, "category_id": 1, "bbox": [1, "x"]},
            {"id": 4, "image_id": 42, "category_id": 1, "bbox": [1, 1, 10, 10]},
        ],
        "categories": [{"id": 1, "name": "cell"}],
    }
    f = _coco(tmp_path, jpg, doc)
    with pytest.raises(DatasetError, match="image id 1 is used more than once"):
        load_detection(f)
    r = check_detection_path(f)
    assert r.counts() == {"corrupt_label": 2, "duplicate_id": 2, "unknown_class": 1}


def test_coco_not_json(tmp_path: Path, jpg: Path) -> None:
    f = tmp_path / "instances_val.json"
    f.write_text("{ truncated")
    with pytest.raises(DatasetError, match="is not valid JSON"):
        load_detection(f)
    assert check_detection_path(f).counts() == {"corrupt_label": 1}


def test_yolo_corrupt_lines_unknown_ids_and_negatives(tmp_path: Path, jpg: Path) -> None:
    for d in ("images/train", "labels/train"):
        (tmp_path / d).mkdir(parents=True)
    for s in ("a", "b", "c"):
        shutil.copyfile(jpg, tmp_path / "images" / "train" / f"{s}.jpg")
    (tmp_path / "labels" / "train" / "a.txt").write_text(
        "0 0.5 0.5 0.2 0.2\n1 0.5 oops 0.2 0.2\n0 0.5 0.5\n5 0.5 0.5 0.1 0.1\n"
    )
    (tmp_path / "labels" / "train" / "b.txt").write_text(
        ""
    )  # image without objects; c has no label file
    (tmp_path / "data.yaml").write_text("train: images/train\nnames: {0: cell, 1: other}\n")
    with pytest.raises(DatasetError, match=r"a\.txt: line 2"):
        load_detection(tmp_path)
    r = check_detection_path(tmp_path)
    assert r.counts() == {"corrupt_label": 2, "unknown_class": 1}
    assert len(r.dataset) == 3 and r.dataset.num_boxes == 1
    assert "images without objects: 2" in r.to_text()


def test_yolo_bad_yaml(tmp_path: Path) -> None:
    (tmp_path / "data.yaml").write_text("train: [unclosed\n")
    with pytest.raises(DatasetError, match="not valid YAML"):
        load_detection(tmp_path)
    (tmp_path / "data.yaml").write_text("train: images\n")
    with pytest.raises(DatasetError, match="has no 'names'"):
        load_detection(tmp_path)
