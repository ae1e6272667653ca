"""Learned extractors against independent references, and `foveal embed`."""

from __future__ import annotations

import numpy as np
import pytest

from foveal.errors import ConfigError, UnknownModelError
from foveal.features import get_extractor, list_extractors


@pytest.fixture(scope="module")
def pooled():
    return get_extractor("mobilenet_v2.imagenet")


def test_registry_names():
    names = list_extractors()
    for n in ("hog", "sift_bovw", "gabor", "lbp", "color_hist", "mobilenet_v2.imagenet"):
        assert n in names
    with pytest.raises(UnknownModelError, match="hog"):
        get_extractor("nope")
    with pytest.raises(ConfigError, match="stage number"):
        get_extractor("mobilenet_v2.imagenet@x")
    with pytest.raises(ConfigError, match="stages"):
        get_extractor("mobilenet_v2.imagenet@9")


def test_pooled_onnx_matches_torchvision(pooled, photos):
    """Our ONNX pooled features equal torchvision's own MobileNetV2 (same official weights)."""
    import torch
    import torchvision

    from foveal.zoo import get, resolve_weights

    feats = pooled.extract(list(photos.values()))
    assert feats.shape == (4, 1280) and pooled.dim == 1280
    np.testing.assert_allclose(np.linalg.norm(feats, axis=1), 1.0, atol=1e-5)

    ref = torchvision.models.mobilenet_v2()
    ref.load_state_dict(
        torch.load(resolve_weights(get("mobilenet_v2.imagenet")), weights_only=True)
    )
    ref.eval()
    tf = torchvision.transforms.Compose(
        [
            torchvision.transforms.Resize(256),
            torchvision.transforms.CenterCrop(224),
            torchvision.transforms.ToTensor(),
            torchvision.transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        ]
    )
    from PIL import Image

    x = torch.stack([tf(Image.open(p).convert("RGB")) for p in photos.values()])
    with torch.inference_mode():
        emb = torch.nn.functional.adaptive_avg_pool2d(ref.features(x), 1).flatten(1).numpy()
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    np.testing.assert_allclose(feats, emb, atol=2e-4)


def test_stage_features(pooled, photos):
    imgs = list(photos.values())[:2]
    last = get_extractor("mobilenet_v2.imagenet@-1")  # last stage, pooled: the penultimate features
    assert last.dim == 1280 and last.name == "mobilenet_v2.imagenet@-1"
    np.testing.assert_allclose(last.extract(imgs), pooled.extract(imgs), atol=2e-4)
    s3 = get_extractor("mobilenet_v2.imagenet@3")
    assert s3.dim == 96  # MobileNetV2 stride-16 stage: 96 channels
    f = s3.extract(imgs)
    assert f.shape == (2, 96)
    np.testing.assert_allclose(np.linalg.norm(f, axis=1), 1.0, atol=1e-5)
    eff = get_extractor("efficientnet_lite0.imagenet@2")
    assert eff.dim == 40 and eff.extract(imgs[:1]).shape == (1, 40)


def test_small_input_size(photos):
    img = np.asarray(np.random.default_rng(0).integers(0, 255, (28, 28)), np.uint8)
    onnx = get_extractor("mobilenet_v2.imagenet", input_size=(64, 64))
    torch_ = get_extractor("mobilenet_v2.imagenet", input_size=(64, 64), backend="torch")
    f = onnx.extract([img, img[::-1]])
    assert f.shape == (2, 1280) and onnx.params()["input_size"] == (64, 64)
    np.testing.assert_allclose(f, torch_.extract([img, img[::-1]]), atol=1e-4)


def test_embed_cli_parquet_and_npy(tmp_path, photos, capsys):
    import shutil

    import pyarrow.parquet as pq

    from foveal.cli import main
    from foveal.features.store import load_features

    d = tmp_path / "imgs"
    d.mkdir()
    for p in photos.values():
        shutil.copy(p, d / p.name)
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    out = tmp_path / "f.parquet"
    rc = main(["embed", str(d), "--extractor", "lbp", "--out", str(out), "--no-progress"])
    assert rc == 1  # one file skipped
    err = capsys.readouterr().err
    assert "skipped" in err and "broken.png" in err
    table = pq.read_table(out)
    assert table.num_rows == 4 and "broken.png" not in " ".join(table.column("path").to_pylist())
    paths, vec, meta = load_features(out)
    assert vec.shape == (4, 160) and meta["extractor"]["name"] == "lbp"
    np.testing.assert_allclose(vec, get_extractor("lbp").extract(paths), atol=1e-6)

    npy = tmp_path / "g.npy"
    assert (
        main(
            [
                "embed",
                str(d / "coffee.png"),
                "--extractor",
                "hog",
                "--out",
                str(npy),
                "--no-progress",
            ]
        )
        == 0
    )
    assert np.load(npy).shape == (1, 1764)
    assert load_features(npy)[0] == [str(d / "coffee.png")]
    assert main(["embed", str(d), "--out", str(tmp_path / "x.csv")]) == 2
    assert ".parquet or .npy" in capsys.readouterr().err
