"""Segmentation folders: conventions found from the masks, and every bad input as one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from foveal.cli import main
from foveal.data.segmentation import load_segmentation_data, read_mask
from foveal.errors import ConfigError, ImageError


def make(tmp_path: Path, masks: dict[str, np.ndarray], size: tuple[int, int] = (8, 6)) -> Path:
    root = tmp_path / "data"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for name, mask in masks.items():
        Image.new("RGB", size, (90, 90, 90)).save(root / "images" / f"{name}.jpg")
        Image.fromarray(mask).save(root / "masks" / f"{name}.png")
    return root


def test_membrane_masks_are_binary_0_255(shared: Path) -> None:
    ds = load_segmentation_data(shared / "data" / "segmentation" / "membrane")
    assert ds.mask_values == (0, 255)
    assert len(ds.pairs) == 20
    assert ds.labels == ("class_0", "class_255")


def test_class_ids_and_labels_file(tmp_path: Path) -> None:
    root = make(tmp_path, {"a": np.array([[0, 1, 2]] * 6, np.uint8).repeat(3, 1)[:, :8]})
    (root / "labels.txt").write_text("sky\nroad\ncar\n")
    ds = load_segmentation_data(root)
    assert ds.mask_values == (0, 1, 2) and ds.labels == ("sky", "road", "car")


def test_palette_masks_give_their_indices(tmp_path: Path) -> None:
    root = make(tmp_path, {})
    im = Image.fromarray(np.array([[0, 3]] * 6, np.uint8).repeat(4, 1), mode="P")
    im.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])
    Image.new("RGB", (8, 6)).save(root / "images" / "p.png")
    im.save(root / "masks" / "p.png")
    assert read_mask(root / "masks" / "p.png").max() == 3
    data = load_segmentation_data(root)
    assert data.mask_values == (0, 1, 2, 3)
    # the colours go with the model, so that its masks come back as palette PNGs like these
    assert data.palette is not None and data.palette[:12] == (
        0,
        0,
        0,
        255,
        0,
        0,
        0,
        255,
        0,
        0,
        0,
        255,
    )
    assert (
        load_segmentation_data(
            make(tmp_path / "grey", {"g": np.eye(6, 8, dtype=np.uint8) * 255})
        ).palette
        is None
    )


@pytest.mark.parametrize(
    ("case", "error", "words"),
    [
        ("mismatch", ImageError, "masks must have their image's size"),
        ("values", ConfigError, "0/255 masks but also hold 128 (e.g. "),
        ("ids", ConfigError, "hold the value(s) 100, 200 (e.g. "),
        ("missing", ConfigError, "have no mask"),
        ("zeros", ConfigError, "hold only the value 0"),
        ("16bit", ImageError, "16-bit"),
        ("empty", ConfigError, "holds no images"),
        ("nofolder", ConfigError, "DATA/images/ and DATA/masks/"),
    ],
)
def test_bad_folders_fail_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture, case: str, error: type, words: str
) -> None:
    ok = np.zeros((6, 8), np.uint8)
    if case == "mismatch":
        root = make(tmp_path, {"a": np.zeros((5, 8), np.uint8)})
    elif case == "values":
        root = make(tmp_path, {"a": np.array([[0, 128, 255]] * 6, np.uint8).repeat(3, 1)[:, :8]})
    elif case == "ids":  # neither 0/255 nor class ids: the values over the ids are named
        root = make(tmp_path, {"a": np.array([[0, 100, 200]] * 6, np.uint8).repeat(3, 1)[:, :8]})
    elif case == "zeros":  # nothing to learn: every pixel background
        root = make(tmp_path, {"a": ok, "b": ok})
    elif case == "missing":
        root = make(tmp_path, {"a": ok})
        Image.new("RGB", (8, 6)).save(root / "images" / "b.jpg")
    elif case == "16bit":
        root = make(tmp_path, {"a": ok})
        Image.fromarray(np.full((6, 8), 300, np.uint16)).save(root / "masks" / "a.png")
    elif case == "empty":
        root = make(tmp_path, {})
    else:
        root = tmp_path / "nothing"
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        load_segmentation_data(root)
    rc = main(["train", "segment", str(root), "--epochs", "1"])
    err = capsys.readouterr().err
    assert rc != 0 and "Traceback" not in err
    assert len(err.splitlines()) == 1 and err.startswith("foveal: error: "), err


def coco_folder(tmp_path: Path, objects: list[dict], name: str = "annotations.json") -> Path:
    root = tmp_path / "coco"
    (root / "images").mkdir(parents=True)
    Image.new("RGB", (20, 10), (90, 90, 90)).save(root / "images" / "street.jpg")
    ann = {
        "images": [{"id": 3, "file_name": "street.jpg", "width": 20, "height": 10}],
        "categories": [{"id": 9, "name": "car"}, {"id": 2, "name": "road"}],
        "annotations": [{"image_id": 3, "iscrowd": 0, **o} for o in objects],
    }
    target = root / name
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(ann))
    return root


def test_coco_polygons_are_drawn_into_class_id_masks(tmp_path: Path) -> None:
    """Categories in id order after the background (road 1, car 2); the small car drawn over
    the large road; the dataset folder itself is never written to."""
    road = {"category_id": 2, "area": 200, "segmentation": [[0, 5, 19, 5, 19, 9, 0, 9]]}
    car = {"category_id": 9, "area": 12, "segmentation": [[2, 4, 5, 4, 5, 6, 2, 6]]}
    root = coco_folder(tmp_path, [car, road], name="annotations/instances_train.json")
    data = load_segmentation_data(root)
    assert data.labels == ("background", "road", "car") and data.mask_values == (0, 1, 2)
    ((image, mask_path),) = data.pairs
    assert image.resolve() == (root / "images" / "street.jpg").resolve()
    mask = read_mask(mask_path)
    assert mask[0, 0] == 0 and mask[8, 15] == 1 and mask[5, 3] == 2
    assert sorted(p.name for p in root.rglob("*")) == sorted(
        ["images", "street.jpg", "annotations", "instances_train.json"]
    )
    assert load_segmentation_data(root).pairs == data.pairs  # drawn once, then reused


@pytest.mark.parametrize(
    ("objects", "words"),
    [
        (
            [{"category_id": 2, "segmentation": {"counts": "PQ3", "size": [10, 20]}}],
            "compressed RLE",
        ),
        ([{"category_id": 5, "segmentation": [[0, 0, 4, 0, 4, 4]]}], "category 5"),
    ],
)
def test_bad_coco_files_fail_in_one_line(tmp_path: Path, objects: list, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        load_segmentation_data(coco_folder(tmp_path, objects))
