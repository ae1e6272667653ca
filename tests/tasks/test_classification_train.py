"""foveal train classify / eval classify / explain on real images (Fashion-MNIST from Debian,
skimage photos)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from foveal.cli import main
from foveal.data.fashion_mnist import DEBIAN_DIR, to_imagefolder
from foveal.errors import ConfigError, ImageError
from foveal.tasks.classify.train import ClassificationRecipe, ClassifyOptions

CLASSES = ["Ankle_boot", "T-shirt_top", "Trouser"]
FAST = [
    "--input-size",
    "32",
    "--resize",
    "32",
    "--batch-size",
    "8",
    "--threads",
    "1",
    "--no-progress",
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 Fashion-MNIST classes: train/ (16 per class) and test/ (10 per class)."""
    if not (DEBIAN_DIR / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.fail("Debian package dataset-fashion-mnist is missing: run scripts/system-deps.sh")
    root = tmp_path_factory.mktemp("fm") / "fm"
    to_imagefolder(root, limit_per_class=16, splits=("train",))
    to_imagefolder(root, limit_per_class=10, splits=("test",))
    for split in ("train", "test"):
        for d in (root / split).iterdir():
            if d.name not in CLASSES:
                for f in d.iterdir():
                    f.unlink()
                d.rmdir()
    return root


@pytest.fixture(scope="module")
def run(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("runs") / "fm"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(
            [
                "train",
                "classify",
                str(tiny),
                "--epochs",
                "3",
                "--lr",
                "2e-3",
                "--warmup",
                "0.5",
                "--augment",
                "light",
                "--mode",
                "finetune",  # the fine-tuning path (auto would pick a linear probe for 48 images)
                "--run-dir",
                str(out),
                "--json",
                *FAST,
            ]
        )
    assert rc == 0
    return out, json.loads(buf.getvalue().strip().splitlines()[-1])


def test_training_learns_and_writes_a_usable_run_folder(
    run: tuple[Path, dict], tiny: Path, capsys
) -> None:
    out, summary = run
    from foveal.train.runlog import read_metrics_csv

    rows = read_metrics_csv(out / "metrics.csv")
    assert len(rows) == 3 and rows[-1]["train_loss"] < rows[0]["train_loss"]
    for name in (
        "model.onnx",
        "config.json",
        "loss.png",
        "metrics.png",
        "val_confusion_matrix.png",
        "checkpoints/best.pt",
        "summary.json",
    ):
        assert (out / name).is_file(), name
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["recipe"]["classes"] == CLASSES and cfg["recipe"]["arch"] == "mobilenet_v2"
    assert summary["final"]["accuracy"] == summary["best_metric"]

    from foveal.tasks.classify import Classifier

    clf = Classifier(out)
    assert list(clf.labels) == CLASSES and clf.preprocess_cfg.input_size == (32, 32)
    img = sorted((tiny / "test/Trouser").iterdir())[0]
    assert (
        main(["classify", "--model", str(out), "--top-k", "2", "--json", "--no-progress", str(img)])
        == 0
    )
    rec = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    names = [t["name"] for t in rec["top"]]
    assert set(names) <= set(CLASSES) and len(names) == 2


def test_onnx_export_matches_the_best_checkpoint(run: tuple[Path, dict], tiny: Path) -> None:
    from foveal.io import load_image
    from foveal.tasks.classify import Classifier, preprocess
    from foveal.tasks.classify.network import load_trained
    from foveal.zoo import Preprocess

    out, _ = run
    model, info = load_trained(out)
    assert info["classes"] == CLASSES
    pp = Preprocess.from_dict(info["preprocess"])
    files = sorted((tiny / "test").rglob("*.png"))[::5]
    x = np.stack([preprocess(load_image(f), pp) for f in files])
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
    got, emb = Classifier(out).logits_and_embeddings(x)
    assert np.abs(got - ref).max() < 1e-4 and emb.shape == (len(files), 1280)


def test_eval_classify_matches_an_independent_reference(
    run: tuple[Path, dict], tiny: Path, tmp_path: Path, capsys
) -> None:
    from sklearn.metrics import (
        confusion_matrix,
        precision_score,
        recall_score,
    )

    from foveal.tasks.classify import Classifier, preprocess, softmax

    out, _ = run
    assert (
        main(
            [
                "eval",
                "classify",
                str(tiny),
                "--model",
                str(out),
                "--out",
                str(tmp_path),
                "--json",
                "--no-progress",
            ]
        )
        == 0
    )
    rep = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rep["images"] == 30 and rep["data"].endswith("test")
    # reference: plain PIL decoding + ONNX outputs, scored by scikit-learn
    from PIL import Image

    clf = Classifier(out)
    files = sorted((tiny / "test").rglob("*.png"))
    y = np.array([CLASSES.index(f.parent.name) for f in files])
    x = np.stack(
        [preprocess(np.asarray(Image.open(f).convert("RGB")), clf.preprocess_cfg) for f in files]
    )
    probs = softmax(clf.logits_and_embeddings(x)[0])
    pred = probs.argmax(1)
    assert rep["top1"] == pytest.approx(float((pred == y).mean()))
    assert rep["top5"] == 1.0  # 3 classes: the top 5 hold them all
    prec = precision_score(y, pred, average=None, labels=[0, 1, 2], zero_division=0)
    rec = recall_score(y, pred, average=None, labels=[0, 1, 2], zero_division=0)
    for i, c in enumerate(CLASSES):
        assert rep["per_class"][c]["precision"] == pytest.approx(prec[i])
        assert rep["per_class"][c]["recall"] == pytest.approx(rec[i])
    assert rep["confusion_matrix"] == confusion_matrix(y, pred, labels=[0, 1, 2]).tolist()
    assert (tmp_path / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"


def test_explain_writes_gradcam_overlays(
    run: tuple[Path, dict], tiny: Path, tmp_path: Path, photos
) -> None:
    from foveal.tasks.classify.explain import explain

    res = explain(photos["chelsea"], model="mobilenet_v2.imagenet", out=tmp_path / "cat.png")
    assert (
        "cat" in res.name
        and res.heatmap.shape == (7, 7)
        and res.heatmap.max() == pytest.approx(1.0)
    )
    from PIL import Image

    assert Image.open(tmp_path / "cat.png").size == (224, 224)
    out, _ = run
    img = sorted((tiny / "test/Trouser").iterdir())[0]
    assert (
        main(
            [
                "explain",
                str(img),
                "--model",
                str(out),
                "--class",
                "Trouser",
                "--out",
                str(tmp_path / "cams"),
            ]
        )
        == 0
    )
    assert (tmp_path / "cams" / f"{img.stem}_gradcam.png").is_file()
    assert (
        main(["explain", str(img), "--model", str(out / "model.onnx")]) == 2
    )  # needs the PyTorch network


def test_checkpoint_from_another_architecture_is_a_clear_error(
    run: tuple[Path, dict], tiny: Path, capsys
) -> None:
    out, _ = run
    rc = main(
        [
            "train",
            "classify",
            str(tiny),
            "--model",
            "efficientnet_lite0.imagenet",
            "--init-from",
            str(out),
            "--epochs",
            "1",
            "--run-dir",
            str(out.parent / "other"),
            *FAST,
        ]
    )
    assert rc == 2
    err = capsys.readouterr().err
    assert "architecture 'mobilenet_v2'" in err and "'efficientnet_lite0'" in err


def test_bad_inputs_are_clear_errors(tiny: Path, tmp_path: Path, capsys) -> None:
    assert main(["train", "classify", str(tiny), "--num-classes", "10", *FAST]) == 2
    assert "--num-classes is 10, but" in capsys.readouterr().err
    one = tmp_path / "one" / "Trouser"
    one.mkdir(parents=True)
    for f in sorted((tiny / "train/Trouser").iterdir())[:3]:
        (one / f.name).write_bytes(f.read_bytes())
    assert main(["train", "classify", str(tmp_path / "one"), *FAST]) == 2
    assert "single class" in capsys.readouterr().err
    bad = tmp_path / "bad"
    for c in CLASSES:
        (bad / c).mkdir(parents=True)
        for f in sorted((tiny / "train" / c).iterdir())[:4]:
            (bad / c / f.name).write_bytes(f.read_bytes())
    (bad / "Trouser" / "cut.png").write_bytes(
        (bad / "Trouser").iterdir().__next__().read_bytes()[:60]
    )
    (bad / "Trouser" / "text.jpg").write_text("not an image")
    with pytest.raises(
        ImageError, match=r"(?s)2 unreadable image\(s\).*(cut.png|text.jpg).*--skip-bad"
    ):
        ClassificationRecipe(ClassifyOptions(str(bad), input_size=32, resize=32))
    recipe = ClassificationRecipe(
        ClassifyOptions(str(bad), input_size=32, resize=32, skip_bad=True)
    )
    assert len(recipe.train_samples) + len(recipe.val_samples) == 12
    with pytest.raises(ConfigError, match="mode 'probe'"):
        ClassifyOptions(str(bad), mode="probe").validate()


def test_modes_balance_and_param_groups(tiny: Path) -> None:
    opts = dict(input_size=32, resize=32, cache="no")
    lin = ClassificationRecipe(ClassifyOptions(str(tiny), mode="linear", **opts))
    model = lin.build_model()
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all(n.startswith("net.classifier.") for n in trainable)
    model.train()
    assert (
        not model.net.features[0][1].training and model.net.classifier.training
    )  # frozen BN stays frozen

    disc = ClassificationRecipe(
        ClassifyOptions(str(tiny), mode="discriminative", lr_decay=0.5, **opts)
    )
    groups = disc.param_groups(disc.build_model(), 1e-3)
    lrs = sorted({g["lr"] for g in groups}, reverse=True)
    assert lrs == pytest.approx([1e-3 * 0.5**k for k in range(6)])
    assert all(
        g.get("weight_decay", None) == 0.0 for g in groups if all(p.ndim == 1 for p in g["params"])
    )

    # class imbalance: 16 vs 16 vs 4 training images
    imb = ClassificationRecipe(
        ClassifyOptions(str(tiny), balance="weights", limit_per_class=16, **opts)
    )
    imb.counts = [13, 13, 3]
    w = imb._class_weights()
    assert w is not None and w[2] > 4 * w[0]
    samp = ClassificationRecipe(ClassifyOptions(str(tiny), balance="sampler", **opts))
    from foveal.train.data import EpochSampler, prepare_loader

    loader = prepare_loader(samp.train_loader(), seed=0, train=True)
    assert isinstance(loader.sampler, EpochSampler) and loader.sampler.weights is not None
