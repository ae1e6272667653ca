"""The U-Net exports to ONNX with dynamic batch and size, and ONNX Runtime agrees with PyTorch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from foveal.nn.unet import UNet
from foveal.runtime import read_meta
from foveal.tasks.segment.export import export_unet
from foveal.zoo.meta import ModelMeta, Preprocess


def test_unet_onnx_parity_at_another_size(tmp_path: Path) -> None:
    import onnxruntime as ort

    torch.manual_seed(0)
    net = UNet(3, 2, encoder="mobilenet_v2").eval()
    meta = ModelMeta("unet_mobilenet_v2.test", "segment", ("a", "b"), Preprocess((64, 64)))
    report = export_unet(net, meta, tmp_path / "m.onnx")
    assert report.max_abs_diff <= 1e-4
    x = torch.randn(3, 3, 96, 160)
    with torch.no_grad():
        want = torch.softmax(net(x), 1).numpy()
    sess = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"input": x.numpy()})[0]
    assert got.shape == (3, 2, 96, 160)
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert read_meta(tmp_path / "m.onnx").labels == ("a", "b")
