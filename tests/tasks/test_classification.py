"""Classification fidelity: foveal vs torchvision's reference MobileNetV2 with the same weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from foveal import zoo
from foveal.io import load_image
from foveal.tasks.classify import Classifier, preprocess

PHOTOS = ("chelsea", "coffee", "rocket", "astronaut")


@pytest.fixture(scope="module")
def reference() -> tuple:
    """torchvision's own mobilenet_v2 + transforms, loaded with the same official state dict."""
    import torch
    import torchvision
    from torchvision import transforms

    net = torchvision.models.mobilenet_v2()
    sd = torch.load(zoo.resolve_weights(zoo.get("mobilenet_v2.imagenet")), weights_only=True)
    net.load_state_dict(sd)
    tf = transforms.Compose(
        [
            transforms.Resize(256),
            transforms.CenterCrop(224),
            transforms.ToTensor(),
            transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        ]
    )
    return net.eval(), tf


def _reference_probs(reference: tuple, path: Path) -> np.ndarray:
    import torch

    net, tf = reference
    x = tf(Image.open(path).convert("RGB"))[None]
    with torch.no_grad():
        return torch.softmax(net(x), dim=1)[0].numpy()


@pytest.fixture(scope="module")
def onnx_clf() -> Classifier:
    return Classifier("mobilenet_v2.imagenet")


@pytest.fixture(scope="module")
def torch_clf() -> Classifier:
    return Classifier("mobilenet_v2.imagenet", backend="torch")


def test_preprocessing_matches_torchvision_transforms(
    photos: dict[str, Path], reference: tuple
) -> None:
    _, tf = reference
    for name in PHOTOS:
        ours = preprocess(load_image(photos[name]), zoo.get("mobilenet_v2.imagenet").preprocess)
        ref = tf(Image.open(photos[name]).convert("RGB")).numpy()
        np.testing.assert_allclose(ours, ref, atol=1e-5)


@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_top5_matches_torchvision_reference(
    backend: str,
    photos: dict[str, Path],
    reference: tuple,
    onnx_clf: Classifier,
    torch_clf: Classifier,
) -> None:
    clf = onnx_clf if backend == "onnx" else torch_clf
    for name in PHOTOS:
        ref = _reference_probs(reference, photos[name])
        ref_top5 = np.argsort(-ref)[:5]
        got = clf.predict(photos[name], top_k=5)
        assert got.class_ids[0] == ref_top5[0], name
        np.testing.assert_allclose(got.scores, ref[got.class_ids], atol=1e-4)
        np.testing.assert_allclose(np.sort(got.scores)[::-1], ref[ref_top5], atol=1e-4)


def test_onnx_agrees_with_pytorch(
    photos: dict[str, Path], onnx_clf: Classifier, torch_clf: Classifier
) -> None:
    for name in PHOTOS:
        img = load_image(photos[name])
        x = preprocess(img, onnx_clf.preprocess_cfg)[None]
        lo, eo = onnx_clf.logits_and_embeddings(x)
        lt, et = torch_clf.logits_and_embeddings(x)
        np.testing.assert_allclose(lo, lt, atol=1e-4)
        np.testing.assert_allclose(eo, et, atol=1e-4)


def test_real_photos_get_sensible_classes(photos: dict[str, Path], onnx_clf: Classifier) -> None:
    cats = {"tabby", "tiger cat", "Egyptian cat", "Persian cat", "Siamese cat"}
    assert onnx_clf.predict(photos["chelsea"], top_k=1).names[0] in cats
    assert onnx_clf.predict(photos["coffee"], top_k=1).names[0] in {"espresso", "cup", "coffee mug"}
    rocket = onnx_clf.predict(photos["rocket"], top_k=3).names
    assert {"space shuttle", "missile", "projectile"} & set(rocket), rocket


def test_efficientnet_lite0_classifies_real_photos(photos: dict[str, Path]) -> None:
    clf = Classifier("efficientnet_lite0.imagenet")
    assert clf.predict(photos["coffee"], top_k=1).names[0] == "espresso"
    assert clf.predict(photos["chelsea"], top_k=1).names[0] in {
        "tabby",
        "tiger cat",
        "Egyptian cat",
    }
    assert {"missile", "space shuttle", "projectile"} & set(
        clf.predict(photos["rocket"], top_k=3).names
    )


def test_batch_equals_single_and_embed(photos: dict[str, Path], onnx_clf: Classifier) -> None:
    files = [photos[n] for n in PHOTOS]
    batched = {item.path: r for item, r in onnx_clf.predict_batch(files, top_k=3, batch_size=3)}
    for f in files:
        single = onnx_clf.predict(f, top_k=3)
        assert batched[f].names == single.names
        np.testing.assert_allclose(batched[f].scores, single.scores, atol=1e-5)
    import foveal

    v = foveal.embed(photos["chelsea"])
    w = foveal.embed(photos["coffee"])
    assert v.shape == (1280,) and abs(float(np.linalg.norm(v)) - 1.0) < 1e-5
    assert float(v @ foveal.embed(photos["chelsea"])) > 0.999 > float(v @ w)


def test_exported_onnx_is_self_describing(tmp_path: Path, photos: dict[str, Path]) -> None:
    from foveal.runtime import read_meta
    from foveal.tasks.classify.export import export_classifier

    out = tmp_path / "m.onnx"
    report = export_classifier(zoo.get("mobilenet_v2.imagenet"), out)
    assert report.max_abs_diff <= 1e-4
    meta = read_meta(out)
    assert meta is not None and meta.task == "classify" and len(meta.labels) == 1000
    assert meta == zoo.get("mobilenet_v2.imagenet").meta  # the zoo entry's own ModelMeta
    clf = Classifier(out)
    assert clf.predict(photos["coffee"], top_k=1).names == ["espresso"]

    # a file written before ModelMeta (flat metadata, preprocess as lists) still loads
    import json

    import onnx

    from foveal.runtime import META_KEY

    old = onnx.load(str(out))
    flat = {
        "name": "mobilenet_v2.imagenet",
        "task": "classify",
        "labels": list(meta.labels),
        "preprocess": meta.preprocess.to_dict(),
    }
    (entry,) = [e for e in old.metadata_props if e.key == META_KEY]
    entry.value = json.dumps(flat)
    run = tmp_path / "old-run"
    run.mkdir()
    onnx.save(old, str(run / "model.onnx"))
    legacy = Classifier(run)
    assert legacy.meta == meta and legacy.labels == meta.labels
    assert legacy.predict(photos["coffee"], top_k=1).names == ["espresso"]


def test_foreign_model_files_are_refused(tmp_path: Path) -> None:
    from foveal.errors import ConfigError, ModelFileError

    with pytest.raises(ModelFileError, match="no such model file"):
        Classifier(tmp_path / "missing.onnx")
    (tmp_path / "garbage.onnx").write_bytes(b"not onnx")
    with pytest.raises(ModelFileError):
        Classifier(tmp_path / "garbage.onnx")
    with pytest.raises(ConfigError, match="not a classify model"):
        Classifier("yolox_nano.coco")


def test_shared_classifier_serves_threads_with_their_own_options(
    photos: dict[str, Path], onnx_clf: Classifier
) -> None:
    """One instance, two threads, different ``top_k`` at once: each call gets its own result."""
    from concurrent.futures import ThreadPoolExecutor

    files = [photos[n] for n in PHOTOS]
    expected = {k: [onnx_clf.predict(f, top_k=k).names for f in files] for k in (1, 4)}

    def work(k: int) -> list[list[str]]:
        return [r.names for _ in range(3) for r in onnx_clf(files, top_k=k)]

    with ThreadPoolExecutor(2) as pool:
        futures = {k: pool.submit(work, k) for k in (1, 4)}
        got = {k: f.result() for k, f in futures.items()}
    for k in (1, 4):
        assert got[k] == expected[k] * 3
        assert all(len(names) == k for names in got[k])
    with pytest.raises(Exception, match="top_k must be at least 1"):
        onnx_clf(files[0], top_k=0)


def test_api_takes_one_image_a_list_or_a_folder(tmp_path: Path, photos: dict[str, Path]) -> None:
    import foveal

    a, b = photos["chelsea"], photos["coffee"]
    one = foveal.classify(b, top_k=1)
    assert one.names == ["espresso"]
    two = foveal.classify([a, b], top_k=1)
    assert isinstance(two, list) and len(two) == 2 and two[1].names == ["espresso"]
    for name in ("chelsea", "coffee", "rocket"):
        Image.open(photos[name]).save(tmp_path / f"{name}.png")
    folder = foveal.classify(tmp_path, top_k=2)
    assert len(folder) == 3 and all(len(r) == 2 for r in folder)
    assert folder[1].names == foveal.classify(tmp_path / "coffee.png", top_k=2).names
    streamed = foveal.classify(tmp_path, top_k=2, stream=True)
    assert [r.names for r in streamed] == [r.names for r in folder]
    vecs = foveal.embed([a, b])
    assert vecs.shape == (2, 1280)
    np.testing.assert_allclose(vecs[1], foveal.embed(b), atol=1e-5)
