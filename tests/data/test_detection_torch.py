"""The torch detection Dataset on BCCD: letterbox geometry, augmentation invariants, batching."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import torch

from foveal.data.detection import load_detection
from foveal.data.detection_torch import (
    Augment,
    TorchDetectionDataset,
    collate,
    padded_targets,
)
from foveal.errors import ConfigError
from foveal.ops import letterbox


@pytest.fixture(scope="module")
def bccd(shared: Path) -> Path:
    return shared / "data" / "detection" / "bccd" / "BCCD"


@pytest.fixture(scope="module")
def val(bccd: Path):
    return load_detection(bccd, split="val").subset("val")


def test_plain_letterbox_matches_yolox_convention(bccd: Path, val) -> None:
    import cv2

    ds = TorchDetectionDataset(val, size=416)
    x, t = ds[0]
    assert x.shape == (3, 416, 416) and x.dtype == torch.float32
    # boxes: the XML numbers times 416/640, read independently
    root = ET.parse(bccd / "Annotations" / f"{val[0].id}.xml").getroot()
    want = [
        [float(o.find("bndbox").findtext(k)) * 0.65 for k in ("xmin", "ymin", "xmax", "ymax")]
        for o in root.iter("object")
    ]
    np.testing.assert_allclose(t["boxes"].numpy(), want, atol=1e-3)
    assert t["ratio"] == pytest.approx(0.65) and t["orig_size"] == (480, 640)
    # pixels: BGR, 0-255, image at the top-left (416x312), padding 114 below
    bgr = cv2.resize(
        cv2.imread(str(val[0].path)), (416, 312), interpolation=cv2.INTER_LINEAR
    ).astype(np.float32)
    img = x.permute(1, 2, 0).numpy()
    assert np.abs(img[:312] - bgr).max() <= 1.0  # JPEG decoders (PIL vs OpenCV) may differ by 1
    assert (img[312:] == 114).all()


def test_rgb_and_scale_options(val) -> None:
    a, _ = TorchDetectionDataset(val, size=320)[1]
    b, _ = TorchDetectionDataset(val, size=320, channel_order="RGB", scale=1 / 255)[1]
    torch.testing.assert_close(b * 255, a.flip(0), atol=1e-3, rtol=0)
    img, r = letterbox(np.zeros((100, 200, 3), np.uint8), (64, 64), bgr=False)
    assert img.shape == (3, 64, 64) and r == pytest.approx(0.32) and (img[:, 32:] == 114).all()


def test_augmented_boxes_stay_valid_and_seed_reproduces(val) -> None:
    ds = TorchDetectionDataset(val, size=416, augment=Augment(mosaic=0.5), seed=3)
    n_boxes = []
    for i in range(8):
        x, t = ds[i]
        b = t["boxes"]
        assert x.shape == (3, 416, 416)
        assert len(b) == len(t["labels"]) and (t["labels"] >= 0).all() and (t["labels"] < 3).all()
        assert (b >= 0).all() and (b <= 416).all()
        assert ((b[:, 2] - b[:, 0]) >= 2).all() and ((b[:, 3] - b[:, 1]) >= 2).all()
        n_boxes.append(len(b))
    assert sum(n_boxes) > 0
    x1, t1 = ds[5]
    x2, t2 = ds[5]
    torch.testing.assert_close(x1, x2)
    torch.testing.assert_close(t1["boxes"], t2["boxes"])
    ds.set_epoch(1)
    x3, _ = ds[5]
    assert not torch.equal(x1, x3)


def test_flip_mirrors_boxes(val) -> None:
    # scale 1, no translation: the 416x312 image is flipped and placed at a random height (it is
    # smaller than the input), so x mirrors exactly and y shifts by one offset for all boxes.
    plain = TorchDetectionDataset(val, size=416)
    flip = TorchDetectionDataset(
        val,
        size=416,
        seed=0,
        augment=Augment(flip=1.0, scale=(1.0, 1.0), translate=0.0, hsv=(0, 0, 0)),
    )
    (xp, tp), (xf, tf) = plain[2], flip[2]
    bp, bf = tp["boxes"].numpy(), tf["boxes"].numpy()
    mirrored = np.stack([416 - bp[:, 2], bp[:, 1], 416 - bp[:, 0], bp[:, 3]], 1)
    dy = bf[:, 1].min() - bp[:, 1].min()
    assert 0 <= dy <= 104 and dy == round(dy)
    np.testing.assert_allclose(
        np.sort(bf[:, [0, 2]], 0), np.sort(mirrored[:, [0, 2]], 0), atol=1e-3
    )
    np.testing.assert_allclose(
        np.sort(bf[:, [1, 3]], 0), np.sort(mirrored[:, [1, 3]] + dy, 0), atol=1e-3
    )
    oy = int(dy)
    torch.testing.assert_close(
        xf[:, oy : oy + 312, :], xp[:, :312, :].flip(2), atol=1.0, rtol=0
    )  # resize rounding


def test_mosaic_combines_several_images(val) -> None:
    ds = TorchDetectionDataset(
        val, size=416, seed=1, augment=Augment(mosaic=1.0, scale=(1.0, 1.0), translate=0.0)
    )
    counts = [len(ds[i][1]["boxes"]) for i in range(3)]
    single = [len(val[i]) for i in range(3)]
    assert any(c > s for c, s in zip(counts, single, strict=True))


def test_zero_area_labels_never_reach_training(bccd: Path) -> None:
    ds = load_detection(bccd)
    idx = next(i for i, im in enumerate(ds) if im.id == "BloodImage_00338")
    assert ((ds[idx].boxes[:, 2] - ds[idx].boxes[:, 0]) == 0).any()
    _, t = TorchDetectionDataset(ds)[idx]
    assert len(t["boxes"]) == len(ds[idx]) - 1


def test_dataloader_batches_and_yolox_targets(val) -> None:
    ds = TorchDetectionDataset(val, size=256, augment=Augment(), seed=0)
    loader = torch.utils.data.DataLoader(ds, batch_size=4, collate_fn=collate)
    images, targets = next(iter(loader))
    assert images.shape == (4, 3, 256, 256) and len(targets) == 4
    lab = padded_targets(targets, max_boxes=120)
    assert lab.shape == (4, 120, 5)
    t0 = targets[0]
    n = len(t0["boxes"])
    assert (lab[0, n:] == 0).all()
    if n:
        b = t0["boxes"][0]
        torch.testing.assert_close(
            lab[0, 0, 1:],
            torch.stack([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, b[2] - b[0], b[3] - b[1]]),
        )
    with pytest.raises(ConfigError, match="max_boxes"):
        padded_targets(
            [{"boxes": torch.zeros(3, 4), "labels": torch.zeros(3), "image_id": 0}], max_boxes=2
        )


def test_bad_settings(val) -> None:
    with pytest.raises(ConfigError, match="multiple of 32"):
        TorchDetectionDataset(val, size=300)
    with pytest.raises(ConfigError, match="probabilities"):
        Augment(mosaic=2)
    with pytest.raises(ConfigError, match="channel_order"):
        TorchDetectionDataset(val, channel_order="BRG")


def test_training_input_equals_inference_letterbox(val) -> None:
    """Validation tensors must be exactly what the detector sees at inference."""
    from foveal.io import load_image

    for i in range(2):
        x, t = TorchDetectionDataset(val, size=416)[i]
        ref, ratio = letterbox(load_image(val[i].path), (416, 416))
        np.testing.assert_array_equal(x.numpy(), ref)
        assert t["ratio"] == pytest.approx(ratio)
