"""SimOTA assignment and YOLOX losses: hand-checkable cases, gradients, and a real fine-tuning
loop."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch

from foveal.nn.losses.yolox import anchor_points, iou_loss, simota_assign, yolox_loss

SIZE = (128, 128)


def _logits_for(boxes_xyxy: torch.Tensor, num_classes: int = 2, cls: int = 1) -> torch.Tensor:
    """Logits whose every anchor point predicts exactly ``boxes_xyxy[0]`` as class ``cls``."""
    grid, stride = anchor_points(SIZE, (8, 16, 32))
    x1, y1, x2, y2 = boxes_xyxy[0].tolist()
    cx, cy, w, h = (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1
    raw = torch.zeros(1, len(grid), 5 + num_classes)
    raw[0, :, 0] = cx / stride - grid[:, 0]
    raw[0, :, 1] = cy / stride - grid[:, 1]
    raw[0, :, 2] = torch.log(w / stride)
    raw[0, :, 3] = torch.log(h / stride)
    raw[0, :, 4] = -4.0
    raw[0, :, 5 + cls] = 4.0
    raw[0, :, 5 + (1 - cls)] = -4.0
    return raw


def test_iou_loss_values() -> None:
    a = torch.tensor([[10.0, 10.0, 4.0, 4.0]])
    assert iou_loss(a, a).item() == pytest.approx(0.0, abs=1e-6)
    half = torch.tensor([[12.0, 10.0, 4.0, 4.0]])  # shifted by half a width: IoU = 8 / 24
    assert iou_loss(a, half).item() == pytest.approx(1 - (8 / 24) ** 2, rel=1e-5)


def test_simota_picks_points_inside_and_near_the_box() -> None:
    gt_xyxy = torch.tensor([[32.0, 40.0, 96.0, 104.0]])
    raw = _logits_for(gt_xyxy)
    grid, stride = anchor_points(SIZE, (8, 16, 32))
    from foveal.nn.losses.yolox import decode_cxcywh

    boxes = decode_cxcywh(raw[0, :, :4], grid, stride)
    gt = torch.tensor([[64.0, 72.0, 64.0, 64.0]])
    fg, matched, miou = simota_assign(
        boxes, raw[0, :, 5:], raw[0, :, 4], gt, torch.tensor([1]), grid, stride
    )
    assert fg.sum() == len(matched) == len(miou) == 10  # dynamic k = sum of 10 IoUs of 1.0
    centers = (grid[fg] + 0.5) * stride[fg, None]
    assert ((centers > torch.tensor([32.0, 40.0])) & (centers < torch.tensor([96.0, 104.0]))).all()
    assert torch.allclose(miou, torch.ones_like(miou))


def test_perfect_boxes_have_no_iou_loss_and_gradients_flow() -> None:
    gt_xyxy = torch.tensor([[32.0, 40.0, 96.0, 104.0]])
    raw = _logits_for(gt_xyxy).requires_grad_(True)
    out = yolox_loss(raw, [torch.tensor([[1.0, *gt_xyxy[0].tolist()]])], input_size=SIZE)
    assert out["loss_iou"] == pytest.approx(0.0, abs=1e-5)
    assert out["num_fg"] == 10
    # classification: BCE(4, 1) and BCE(-4, 0) per positive, normalised per positive
    assert out["loss_cls"] == pytest.approx(2 * math.log1p(math.exp(-4.0)), rel=1e-4)
    out["loss"].backward()
    assert raw.grad is not None and raw.grad[0, :, 4].abs().sum() > 0


def test_images_without_boxes_only_train_objectness() -> None:
    raw = torch.zeros(2, 336, 7, requires_grad=True)
    out = yolox_loss(raw, [torch.zeros(0, 5), torch.zeros(0, 5)], input_size=SIZE)
    assert out["num_fg"] == 0 and out["loss_cls"] == 0 and out["loss_iou"] == 0
    assert out["loss"].item() == pytest.approx(2 * 336 * math.log(2), rel=1e-5)
    out["loss"].backward()


CLASSES = ["RBC", "WBC", "Platelets"]


def _voc(root, stem):
    from foveal.tasks.detect.train import DetectionSample

    tree = ET.parse(root / "Annotations" / f"{stem}.xml")
    boxes, ids = [], []
    for obj in tree.iter("object"):
        bb = obj.find("bndbox")
        boxes.append([float(bb.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax")])
        ids.append(CLASSES.index(obj.find("name").text.strip()))
    return DetectionSample(root / "JPEGImages" / f"{stem}.jpg", boxes, ids)


def test_finetuning_on_bccd_lowers_the_loss(shared, tmp_path) -> None:
    from foveal.tasks.detect import Detector
    from foveal.tasks.detect.train import DetectionRecipe

    root = shared / "data" / "detection" / "bccd" / "BCCD"
    stems = (root / "ImageSets" / "Main" / "train.txt").read_text().split()[:4]
    items = [_voc(root, s) for s in stems]
    threads = torch.get_num_threads()
    torch.set_num_threads(
        1
    )  # a shared 2-core machine: one thread is much faster than contended two
    try:
        torch.manual_seed(0)
        recipe = DetectionRecipe(
            items, items[:2], CLASSES, input_size=256, batch_size=4, augment=None
        )
        net = recipe.build_model()
        assert net.head.num_classes == 3 and net.freeze_bn
        net.train()
        assert not any(m.training for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d))
        opt = torch.optim.AdamW(
            [p for p in net.parameters() if p.requires_grad], lr=1e-3, weight_decay=0.0
        )
        batch = next(iter(recipe.train_loader()))
        losses = []
        for _ in range(6):
            out = recipe.training_step(net, batch)
            opt.zero_grad()
            out["loss"].backward()
            opt.step()
            losses.append(float(out["loss"].detach()))
        assert losses[-1] < 0.8 * losses[0], losses
        net.eval()
        metrics = recipe.evaluate(net, recipe.val_loader())
        assert set(metrics) == {"map50_95", "map50"} and 0.0 <= metrics["map50"] <= 1.0
        path = recipe.export(net, tmp_path)
        det = Detector(tmp_path)
        assert det.labels == tuple(CLASSES) and det.input_size == (256, 256)
        d = det.predict(items[0].path, conf=0.01)
        assert set(d.names) <= set(CLASSES)
        assert path.name == "model.onnx"
    finally:
        torch.set_num_threads(threads)


def test_recipe_rejects_bad_configs(shared) -> None:
    from foveal.errors import ConfigError
    from foveal.tasks.detect.train import DetectionRecipe, DetectionSample

    item = DetectionSample(shared / "x.jpg", np.array([[0, 0, 5, 5]]), np.array([3]))
    with pytest.raises(ConfigError, match="class id 3"):
        DetectionRecipe([item], [], ["a", "b"])
    with pytest.raises(ConfigError, match="multiple of 32"):
        DetectionRecipe([item], [], ["a", "b", "c", "d"], input_size=100)
    with pytest.raises(ConfigError, match="no training images"):
        DetectionRecipe([], [], ["a"])


def test_training_boxes_out_of_range_are_clipped_or_dropped(tmp_path) -> None:
    from PIL import Image

    from foveal.data.detection_torch import TorchDetectionDataset
    from foveal.tasks.detect.train import DetectionSample

    Image.fromarray(np.zeros((100, 200, 3), np.uint8)).save(tmp_path / "black.png")
    boxes = np.array(
        [[-50, -10, 60, 40], [150, 50, 400, 300], [10, 10, 10, 50], [300, 300, 350, 350]],
        np.float32,
    )
    item = DetectionSample(tmp_path / "black.png", boxes, [0, 1, 2, 3])
    tensor, target = TorchDetectionDataset([item], size=128)[0]
    assert tensor.shape == (3, 128, 128) and target["ratio"] == pytest.approx(0.64)
    assert target["labels"].tolist() == [0, 1]  # zero width and fully outside are dropped
    np.testing.assert_allclose(
        target["boxes"].numpy(), [[0, 0, 38.4, 25.6], [96, 32, 128, 128]], atol=1e-4
    )
    # the padding is YOLOX grey and the image sits top-left
    assert tensor[:, 100:, :].min() == 114 and tensor[:, :64, :128].max() == 0
