"""Every model in the zoo, parametrised over the registry (like timm's test suite)."""

from __future__ import annotations

import pytest

from foveal import zoo
from foveal.errors import UnknownModelError
from foveal.zoo.resolve import candidates, sha256_file

ALL = zoo.list_models()
TORCH_MODELS = [
    n for n in ALL if zoo.get(n).builder is not None and zoo.get(n).weights.format != "onnx"
]


def test_registry_names_are_arch_dot_tag() -> None:
    assert "mobilenet_v2.imagenet" in ALL and "efficientnet_lite0.imagenet" in ALL
    for name in ALL:
        arch, _, tag = name.partition(".")
        assert arch and tag, name


@pytest.mark.parametrize("name", ALL)
def test_every_model_has_complete_weight_spec_and_resolves_offline(name: str) -> None:
    spec = zoo.get(name)
    ws = spec.weights
    assert len(ws.sha256) == 64 and ws.licence
    # a public download, or a file foveal trains and ships itself (no other source exists)
    assert (ws.url and ws.url.startswith("https://")) or ws.package == "foveal", name
    assert ws.package or any("FOVEAL_WEIGHTS_PATH" in where for where, _ in candidates(ws)), (
        f"{name}: shipped neither by a package nor in the weights path"
    )
    path = zoo.resolve_weights(spec)  # offline: package or ../shared/weights
    assert sha256_file(path) == ws.sha256
    info = spec.to_dict()
    assert info["name"] == name and info["weights"]["file"] == ws.file


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_every_torch_model_loads_strictly_and_honours_backbone_contract(name: str) -> None:
    import torch

    from foveal.zoo.load import load_model

    spec = zoo.get(name)
    net = load_model(spec)  # strict: raises if any key is missing or unexpected
    h, w = spec.preprocess.input_size
    x = torch.randn(1, 3, h, w)
    with torch.no_grad():
        if spec.task == "classify":
            assert net(x).shape == (1, len(spec.label_names()))
            feats = spec.build(features_only=True)
            outs = feats(x)
            assert len(outs) == len(feats.feature_info)
            for out, info in zip(outs, feats.feature_info, strict=True):
                assert out.shape[1] == info.num_chs
                assert out.shape[-1] == w // info.reduction
            assert net.forward_features(x).shape[1] == net.num_features


def test_unknown_model_suggests_close_names() -> None:
    with pytest.raises(UnknownModelError, match="Did you mean mobilenet_v2.imagenet"):
        zoo.get("mobilenet_v2.imagenett")
    assert zoo.get("mobilenet_v2").name == "mobilenet_v2.imagenet"


@pytest.mark.parametrize("name", ["mobilenet_v2.imagenet", "efficientnet_lite0.imagenet"])
def test_pretrained_backbone_with_a_new_head(name: str) -> None:
    import torch

    from foveal.zoo.load import load_model

    net = load_model(name, num_classes=10)
    ref = load_model(name)
    assert net(torch.zeros(1, 3, 64, 64)).shape == (1, 10)
    a, b = net.state_dict(), ref.state_dict()
    shared = [
        k
        for k in a
        if k in b and a[k].shape == b[k].shape and not k.startswith(("classifier.", "_fc."))
    ]
    assert shared and all(torch.equal(a[k], b[k]) for k in shared)
