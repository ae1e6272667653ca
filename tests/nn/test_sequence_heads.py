"""Sequence heads: shapes, the velocity inputs, and ONNX export parity with PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from foveal.errors import ConfigError
from foveal.nn.heads.sequence import ARCHS, build_sequence_model


@pytest.mark.parametrize("arch", ARCHS)
def test_every_arch_maps_sequences_to_logits(arch: str) -> None:
    net = build_sequence_model(arch, steps=16, step_dims=2, num_classes=4, deltas=True).eval()
    assert net(torch.randn(5, 16, 2)).shape == (5, 4)


def test_deltas_are_step_differences_with_zero_first_step() -> None:
    net = build_sequence_model("gru", steps=3, step_dims=1, num_classes=2, deltas=True)
    feats = net.features(torch.tensor([[[1.0], [3.0], [2.0]]]))
    assert feats[0, :, 1].tolist() == [0.0, 2.0, -1.0]


def test_standardization_is_inside_the_network() -> None:
    net = build_sequence_model("mlp", steps=2, step_dims=2, num_classes=2).eval()
    x = torch.randn(4, 2, 2)
    before = net(x)
    net.set_standardization(torch.tensor([1.0, 2.0]), torch.tensor([2.0, 0.0]))
    assert net.std.tolist() == [2.0, 1.0]  # a zero std becomes 1
    shifted = x * torch.tensor([2.0, 1.0]) + torch.tensor([1.0, 2.0])
    assert torch.allclose(net(shifted), before, atol=1e-6)


def test_unknown_arch_is_one_clear_line() -> None:
    with pytest.raises(ConfigError, match="choose lstm, gru, tcn, mlp"):
        build_sequence_model("transformer", steps=4, step_dims=2, num_classes=2)


@pytest.mark.parametrize("arch", ARCHS)
def test_onnx_export_matches_torch(arch: str, tmp_path) -> None:
    from foveal.runtime.onnx import OnnxModel
    from foveal.tasks.sequence.train import export_sequence_model

    torch.manual_seed(0)
    net = build_sequence_model(arch, steps=16, step_dims=2, num_classes=4, deltas=True).eval()
    net.set_standardization(torch.full((4,), 0.05), torch.full((4,), 0.1))
    path = export_sequence_model(
        net,
        tmp_path / "m.onnx",
        name="t",
        classes=list("abcd"),
        params={"steps": 16, "step_dims": 2},
    )
    x = torch.randn(7, 16, 2) * 0.2  # another batch size than the export's
    got = OnnxModel(path).run(x.numpy())[0]
    with torch.no_grad():
        want = net(x).numpy()
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert OnnxModel(path).meta().task == "sequence"
