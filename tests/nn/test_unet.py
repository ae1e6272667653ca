"""U-Net shapes and the segmentation losses."""

from __future__ import annotations

import pytest
import torch

from foveal.nn.losses.segmentation import LOSSES, segmentation_loss
from foveal.nn.unet import UNet


@pytest.mark.parametrize(
    ("encoder", "cin", "cout", "size"),
    [
        ("mobilenet_v2", 3, 2, (64, 96)),
        ("efficientnet_lite0", 1, 1, (32, 32)),
        ("classic", 1, 3, (48, 32)),
    ],
)
def test_unet_returns_logits_at_input_size(encoder: str, cin: int, cout: int, size: tuple) -> None:
    net = UNet(cin, cout, encoder=encoder, base=8).eval()
    with torch.no_grad():
        y = net(torch.randn(2, cin, *size))
    assert y.shape == (2, cout, *size)
    assert net.multiple == (16 if encoder == "classic" else 32)


def test_unet_depth_four_skips_the_last_stage() -> None:
    net = UNet(3, 2, depth=4).eval()
    assert net.multiple == 16
    with torch.no_grad():
        assert net(torch.zeros(1, 3, 48, 48)).shape == (1, 2, 48, 48)


def test_unet_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="decoder_channels"):
        UNet(3, 2, decoder_channels=(8, 8))
    with pytest.raises(ValueError, match="depth"):
        UNet(3, 2, depth=6)


@pytest.mark.parametrize("kind", LOSSES)
@pytest.mark.parametrize("classes", [1, 3])
def test_losses_prefer_right_predictions(kind: str, classes: int) -> None:
    g = torch.Generator().manual_seed(0)
    target = torch.randint(0, max(classes, 2), (2, 16, 16), generator=g)
    if classes == 1:
        right = (target[:, None].float() * 2 - 1) * 8
    else:
        right = torch.nn.functional.one_hot(target, classes).permute(0, 3, 1, 2).float() * 16 - 8
    wrong = -right
    lr, lw = segmentation_loss(right, target, kind), segmentation_loss(wrong, target, kind)
    assert float(lr) < 0.01 < float(lw)
    right.requires_grad_(True)
    segmentation_loss(right * 0.1, target, kind).backward()


def test_ignored_pixels_count_in_no_loss() -> None:
    target = torch.tensor([[[0, 1], [255, 255]]])
    logits = torch.tensor([[[[-9.0, 9.0], [9.0, -9.0]]]])  # wrong only where ignored
    assert float(segmentation_loss(logits, target, "bce_dice")) < 0.01
