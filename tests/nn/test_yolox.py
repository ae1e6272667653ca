"""foveal's own PyTorch YOLOX: backbone contract, official ONNX weights loaded, same boxes as ONNX
Runtime."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from foveal.errors import FovealError
from foveal.nn.backbones import create_backbone
from foveal.nn.detectors.yolox import load_onnx_weights, yolox_nano, yolox_tiny
from foveal.tasks.detect import Detector


def _iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None] - inter)


@pytest.fixture(scope="module")
def detectors() -> tuple[Detector, Detector]:
    return Detector("yolox_nano.coco"), Detector("yolox_nano.coco", backend="torch")


def _frame(shared) -> np.ndarray:
    import cv2

    cap = cv2.VideoCapture(str(shared / "data" / "video" / "vtest.avi"))
    ok, frame = cap.read()
    cap.release()
    assert ok
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


@pytest.mark.parametrize("photo", ["astronaut", "chelsea", "coffee", "vtest"])
def test_torch_and_onnx_give_the_same_boxes(detectors, photos, shared, photo: str) -> None:
    onnx_det, torch_det = detectors
    image = _frame(shared) if photo == "vtest" else photos[photo]
    a = onnx_det.predict(image, conf=0.1)
    b = torch_det.predict(image, conf=0.1)
    assert len(a) == len(b) > 0
    np.testing.assert_array_equal(a.class_ids, b.class_ids)
    np.testing.assert_allclose(a.scores, b.scores, atol=1e-3)
    assert np.diag(_iou_matrix(a.xyxy, b.xyxy)).min() > 0.99


def test_raw_outputs_agree(detectors, photos) -> None:
    onnx_det, torch_det = detectors
    from foveal.io import load_image

    x, _ = onnx_det.preprocess(load_image(photos["coffee"]))
    ra, rb = onnx_det.forward(x[None])[0], torch_det.forward(x[None])[0]
    assert ra.shape == rb.shape == (1, 3549, 85)
    assert np.abs(ra - rb).max() < 1e-3


def test_cspdarknet_follows_the_backbone_contract() -> None:
    net = create_backbone("cspdarknet", depth=0.33, width=0.25, depthwise=True)
    assert [f.num_chs for f in net.feature_info] == [64, 128, 256]
    assert [f.reduction for f in net.feature_info] == [8, 16, 32]
    x = torch.zeros(1, 3, 128, 96)
    feats = net.eval()(x)
    assert [tuple(f.shape) for f in feats] == [(1, 64, 16, 12), (1, 128, 8, 6), (1, 256, 4, 3)]
    assert net.forward_features(x).shape == (1, 256, 4, 3)
    assert net.num_features == 256


def test_yolox_on_an_imagenet_backbone() -> None:
    net = yolox_nano(num_classes=3, backbone="mobilenet_v2").eval()
    with torch.no_grad():
        out = net(torch.zeros(1, 3, 416, 416))
    assert out.shape == (1, 3549, 8)
    assert ((out[..., 4:] >= 0) & (out[..., 4:] <= 1)).all()


def test_loading_checks_the_architecture(shared) -> None:
    with pytest.raises(FovealError, match="yolox_nano.onnx"):
        load_onnx_weights(yolox_tiny(), shared / "weights" / "yolox_nano.onnx")


def test_loaded_model_is_trainable(shared) -> None:
    net = load_onnx_weights(yolox_nano(), shared / "weights" / "yolox_nano.onnx")
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert len(bns) > 50 and all(torch.all(m.weight == 1) for m in bns)
    net.train()
    out = net.forward_logits(torch.rand(2, 3, 64, 64) * 255)
    out.sum().backward()
    assert net.backbone.stages[0].conv.conv.weight.grad is not None


def test_export_runs_in_the_detector(tmp_path, photos) -> None:
    from foveal.tasks.detect.export import export_detector
    from foveal.zoo import get

    report = export_detector(get("yolox_nano.coco"), tmp_path / "yolox.onnx")
    assert report.max_abs_diff < 1e-3
    det = Detector(tmp_path / "yolox.onnx")
    d = det.predict(photos["chelsea"])
    assert d.model == "yolox_nano.coco" and "cat" in d.names
