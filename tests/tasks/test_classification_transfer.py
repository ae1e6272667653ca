"""Transfer learning on small data: ``--mode auto``, the cached-feature linear probe, ``--cv``,
the eval warning on training images and ``--tta`` (real ants/bees photos, 64x64 inputs)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from foveal.cli import main
from foveal.tasks.classify.auto import choose_recipe, looks_like_characters
from foveal.tasks.classify.cv import stratified_folds

ANTS_BEES = Path(__file__).resolve().parents[3] / "shared/data/classification/hymenoptera/train"
FAST = ["--input-size", "64", "--resize", "64", "--threads", "1", "--no-progress"]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """9 ants + 9 bees (links to the shared photos), and 4 + 4 other photos."""
    root = tmp_path_factory.mktemp("ab")
    for cls in ("ants", "bees"):
        files = sorted((ANTS_BEES / cls).iterdir())
        for sub, part in (("data", files[:9]), ("other", files[20:24])):
            (root / sub / cls).mkdir(parents=True)
            for f in part:
                (root / sub / cls / f.name).symlink_to(f)
    return root / "data", root / "other"


@pytest.fixture(scope="module")
def cv_run(small: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    import contextlib
    import io

    out = tmp_path_factory.mktemp("cv") / "cv"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(
            ["train", "classify", str(small[0]), "--cv", "3", "--epochs", "4", "--json"]
            + ["--run-dir", str(out), *FAST]
        )
    assert rc == 0
    return out, json.loads(buf.getvalue().strip().splitlines()[-1])


def test_auto_picks_the_recipe_from_the_data_size() -> None:
    small = choose_recipe(196, ["ants", "bees"])
    assert (small.mode, small.augment, small.hflip) == ("linear", "standard", True)
    assert "196 training images" in small.reason
    # large data sets (Fashion-MNIST: 54k) keep the fine-tuning recipe
    assert choose_recipe(54_000, ["Shirt", "Trouser"]).mode == "finetune"
    assert choose_recipe(196, ["a", "b"], mode="discriminative").mode == "discriminative"
    assert choose_recipe(3000, ["cat", "dog"], linear_max=5000).mode == "linear"
    digits = choose_recipe(1347, [str(d) for d in range(10)])
    assert digits.mode == "finetune" and not digits.hflip and "characters" in digits.reason
    assert choose_recipe(1347, [str(d) for d in range(10)], mode="linear").mode == "linear"
    assert not choose_recipe(50, ["cat", "dog"], hflip=False).hflip
    assert looks_like_characters(list("ABCDEFG")) and not looks_like_characters(["ok", "bad"])


def test_stratified_folds_partition_every_class() -> None:
    samples = [(f"{c}_{i}", c) for c in range(3) for i in range(10 + 3 * c)]
    folds = stratified_folds(samples, 4, seed=1)
    flat = [s for f in folds for s in f]
    assert sorted(flat) == sorted(samples)  # each image in exactly one fold
    for c in range(3):
        per_fold = [sum(1 for _, y in f if y == c) for f in folds]
        assert max(per_fold) - min(per_fold) <= 1
    assert folds == stratified_folds(samples, 4, seed=1)


def test_cv_trains_k_models_each_scored_on_unseen_images(
    cv_run: tuple[Path, dict], small: tuple[Path, Path]
) -> None:
    out, summary = cv_run
    assert summary["k"] == 3 and summary["recipe"] == "linear"
    accs = summary["fold_accuracies"]
    assert len(accs) == 3 and summary["mean_accuracy"] == pytest.approx(np.mean(accs))
    assert summary["std_accuracy"] == pytest.approx(np.std(accs, ddof=1))
    assert json.loads((out / "cv.json").read_text())["fold_accuracies"] == accs
    # every photo is a training image of exactly k-1 folds (scored once, by the other model)
    seen: dict[str, int] = {}
    for d in summary["fold_dirs"]:
        assert (Path(d) / "model.onnx").is_file()
        for f in json.loads((Path(d) / "train_files.json").read_text())["files"]:
            seen[f["path"]] = seen.get(f["path"], 0) + 1
        s = json.loads((Path(d) / "summary.json").read_text())
        assert s["best_epoch"] == s["epochs_run"] == 4  # the last epoch, never picked on the fold
        assert s["recipe"] == "linear" and "linear probe" in s["recipe_reason"]
    photos = {str(p.resolve()) for p in small[0].rglob("*.jpg")}
    assert set(seen) == photos and set(seen.values()) == {2}
    assert np.mean(accs) >= 0.6  # 12 training photos at 64x64: well above chance (0.5)


def test_cached_features_are_what_the_exported_model_computes(
    cv_run: tuple[Path, dict], small: tuple[Path, Path]
) -> None:
    from foveal.io import load_image
    from foveal.tasks.classify import Classifier, preprocess
    from foveal.tasks.classify.probe import FeatureBank
    from foveal.zoo import get
    from foveal.zoo.load import load_model

    run = Path(cv_run[1]["fold_dirs"][0])
    clf = Classifier(run)
    files = sorted(small[1].rglob("*.jpg"))[:3]
    images = [load_image(f) for f in files]
    bank = FeatureBank(load_model(get("mobilenet_v2.imagenet")), clf.preprocess_cfg)
    feats, labels = bank.features([(f, 0) for f in files], images, ("centre", "flip"))
    assert feats.shape == (6, 1280) and labels.tolist() == [0] * 6
    x = np.stack([preprocess(im, clf.preprocess_cfg) for im in images])
    _, emb = clf.logits_and_embeddings(x)
    assert np.abs(emb - feats[0::2]).max() < 1e-3
    _, emb_flip = clf.logits_and_embeddings(np.ascontiguousarray(x[..., ::-1]))
    assert np.abs(emb_flip - feats[1::2]).max() < 1e-3


def test_eval_warns_when_it_scores_training_images(
    cv_run: tuple[Path, dict], small: tuple[Path, Path], capsys
) -> None:
    run = cv_run[1]["fold_dirs"][0]
    capsys.readouterr()
    assert main(["eval", "classify", str(small[0]), "--model", run, "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "12 of the scored images were used to train" in err
    assert main(["eval", "classify", str(small[1]), "--model", run, "--no-progress"]) == 0
    assert "used to train" not in capsys.readouterr().err


def test_tta_averages_the_image_and_its_mirror(small: tuple[Path, Path], capsys) -> None:
    from foveal.io import load_image
    from foveal.tasks.classify import Classifier, preprocess
    from foveal.tasks.classify.predict import softmax

    clf = Classifier("mobilenet_v2.imagenet")
    f = sorted(small[1].rglob("*.jpg"))[0]
    x = preprocess(load_image(f), clf.preprocess_cfg)[None]
    want = (
        softmax(clf.forward(x)[0]) + softmax(clf.forward(np.ascontiguousarray(x[..., ::-1]))[0])
    ) / 2
    got = clf.predict(str(f), top_k=5, tta=True)
    assert np.allclose(got.scores, np.sort(want[0])[::-1][:5], atol=1e-5)
    plain = clf.predict(str(f), top_k=5)
    assert not np.allclose(plain.scores, got.scores, atol=1e-5)
    capsys.readouterr()
    assert main(["classify", "--tta", "--top-k", "1", "--json", "--no-progress", str(f)]) == 0
    rec = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rec["top"][0]["score"] == pytest.approx(float(want.max()), abs=1e-5)


def test_cv_bad_fold_counts_are_one_line_errors(small: tuple[Path, Path], capsys) -> None:
    assert main(["train", "classify", str(small[0]), "--cv", "1", *FAST]) == 2
    assert "at least 2 folds" in capsys.readouterr().err
    assert main(["train", "classify", str(small[0]), "--cv", "10", *FAST]) == 2
    err = capsys.readouterr().err
    assert "fewer than 10 images" in err and "Traceback" not in err
