"""The promise benchmark's parts on real data: splits, metrics, classical baselines, the CLI."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from foveal.bench import promise
from foveal.bench.data import digits, fashion_mnist, read_dlib_boxes, read_idx
from foveal.bench.promise import classification
from foveal.classic.faces import NearestNeighbourId, match_boxes
from foveal.ops import box_iou, edit_distance


def _reference_levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def test_edit_distance_and_cer():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("abc", "abc") == 0
    rng = np.random.default_rng(0)
    for _ in range(50):
        a = "".join(rng.choice(list("abcé "), rng.integers(0, 30)))
        b = "".join(rng.choice(list("abcé "), rng.integers(0, 30)))
        assert edit_distance(a, b) == _reference_levenshtein(a, b)
    assert promise.cer("the  quick\nbrown", "the quick brown") == 0.0
    assert promise.cer("the quick brawn", "the quick brown") == pytest.approx(1 / 15)


def test_read_idx(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    raw = b"\x00\x00\x08\x03" + b"".join(n.to_bytes(4, "big") for n in arr.shape) + arr.tobytes()
    (tmp_path / "x.gz").write_bytes(gzip.compress(raw))
    np.testing.assert_array_equal(read_idx(tmp_path / "x.gz"), arr)


def test_splits_are_seeded_and_balanced():
    d1, d2 = digits(seed=0), digits(seed=0)
    assert (len(d1.x_train), len(d1.x_test)) == (1347, 450)  # sklearn's 75/25 of 1,797
    np.testing.assert_array_equal(d1.y_test, d2.y_test)
    assert d1.x_train.dtype == np.uint8 and d1.x_train.max() == 255
    f = fashion_mnist(200, 100, seed=0)
    assert f.x_train.shape == (200, 28, 28) and f.x_test.shape == (100, 28, 28)
    assert (np.bincount(f.y_train) == 20).all() and (np.bincount(f.y_test) == 10).all()
    np.testing.assert_array_equal(f.x_train, fashion_mnist(200, 100, seed=0).x_train)
    assert not np.array_equal(f.x_train, fashion_mnist(200, 100, seed=1).x_train)


def test_boxes_and_matching(shared):
    truth = read_dlib_boxes(shared / "data" / "faces" / "detection" / "training.xml")
    assert sum(len(b) for b in truth.values()) == 18
    np.testing.assert_array_equal(
        truth["2007_007763.jpg"][0], [194, 90, 231, 127]
    )  # top=90 left=194 37x37
    a = np.array([[0, 0, 10, 10]], np.float32)
    assert box_iou(a, np.array([[5, 0, 15, 10]]))[0, 0] == pytest.approx(50 / 150)
    assert (
        match_boxes(np.array([[0, 0, 10, 10], [0, 0, 10, 9]]), a, 0.5) == 1
    )  # one truth, one match


def test_nearest_neighbour_threshold_calibration():
    vecs = np.array([[0.0, 0], [0, 1], [10, 0], [10, 2]])
    ident = NearestNeighbourId(vecs, ["a", "a", "b", "b"])
    assert ident.threshold == 2.0  # the largest nearest-same-person distance
    assert ident(np.array([0.0, 0.5]))[0] == "a"
    assert ident(np.array([5.0, 5.0]))[0] == "unknown"


def test_classical_face_recognition(shared):
    cfg = promise.Settings(shared=shared, log=lambda m: None)
    rows = {r.method: r for r in promise.run_face_recognition(cfg)}
    deep = rows["deep embeddings (dlib ResNet, 128-d)"]
    assert deep.value == pytest.approx(1.0), deep.note  # every known person named, nobody invented
    assert rows["LBPH (LBP histograms, 8x8 grid)"].value < deep.value
    assert rows["Eigenfaces (PCA)"].value < deep.value


def test_tesseract_reads_its_test_page(shared):
    pages = dict((p.name, gold) for p, gold in promise.ocr_pages(shared))
    read = promise.tesseract_reader()
    page = shared / "data" / "ocr" / "pages" / "phototest.tif"
    assert promise.cer(read(page), pages["phototest.tif"]) < 0.03


def test_finetune_recipe_with_a_tiny_local_loop(tmp_path):
    """The recipe follows the training-engine contract; a few steps lower the loss; export runs."""
    import torch

    split = fashion_mnist(60, 20, seed=0)
    recipe = promise.FashionFinetune(split, input_size=32, batch_size=16, seed=0)
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # what the benchmark trains with
    try:
        _tiny_loop(recipe, tmp_path)
    finally:
        torch.set_num_threads(threads)


def _tiny_loop(recipe, tmp_path):
    import torch

    model = recipe.build_model()
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    batch = next(iter(recipe.train_loader()))
    losses = []
    for _ in range(4):
        out = recipe.training_step(model, batch)
        assert set(out) >= {"loss", "acc"}
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        losses.append(float(out["loss"].detach()))
    assert losses[-1] < losses[0]
    model.eval()
    assert 0.0 <= recipe.evaluate(model, recipe.val_loader())["accuracy"] <= 1.0
    path = recipe.export(model, tmp_path)
    acc, _ = recipe.test_accuracy(path)
    assert 0.0 <= acc <= 1.0


def test_cli_writes_table_chart_and_json(shared, tmp_path, capsys):
    from foveal.cli import main

    out = tmp_path / "promise"
    rc = main(
        [
            "bench",
            "promise",
            "--tasks",
            "face_detection",
            "--out",
            str(out),
            "--shared",
            str(shared),
        ]
    )
    assert rc == 0
    table = capsys.readouterr().out
    assert "Haar cascade" in table and "dlib HOG" in table and "CNN detector" in table
    assert (out / "promise.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads((out / "promise.json").read_text())
    methods = {r["method"]: r for r in data["rows"]}
    # dlib's detector on dlib's own annotated example photos: every face, nothing else
    assert methods["dlib HOG + SVM"]["value"] == pytest.approx(1.0)
    haar = methods["Haar cascade (OpenCV)"]
    assert 0.5 < haar["value"] <= 1.0 and haar["extra"]["recall"] > 0.6
    assert data["settings"]["seed"] == 0
    assert main(["bench", "promise", "--tasks", "nope"]) == 2


def test_classification_rows_are_reproducible(monkeypatch):
    """Same seed, same numbers: splits, the SIFT vocabulary and the linear classifier are seeded."""
    from foveal.classic.bovw import SiftBoVW
    from foveal.classic.descriptors import HOG

    monkeypatch.setattr(
        classification,
        "classification_extractors",
        lambda seed, cnn_input: [
            ("HOG + linear", "classical", lambda: HOG(size=(32, 32), cell=8)),
            (
                "SIFT-BoVW + linear",
                "classical",
                lambda: SiftBoVW(words=32, size=(32, 32), dense_step=8, seed=seed),
            ),
        ],
    )
    monkeypatch.setattr(
        classification,
        "run_finetune",
        lambda split, cfg: promise.Row(
            "classification", split.name, "fine-tuned CNN", "deep", "accuracy", note="skipped here"
        ),
    )
    cfg = promise.Settings(
        seed=3, fashion_train=100, fashion_test=50, datasets=("fashion-mnist",), log=lambda m: None
    )
    first = [(r.dataset, r.method, r.value) for r in promise.run_classification(cfg)]
    second = [(r.dataset, r.method, r.value) for r in promise.run_classification(cfg)]
    assert first == second
    assert len(first) == 3
    assert all(v is not None and 0.1 < v <= 1.0 for d, m, v in first if m != "fine-tuned CNN")


def test_ants_bees_rows_share_one_split(shared, monkeypatch):
    """The natural-photo rows: every method on the same seeded 184/61 split of the 245 photos."""
    from foveal.bench.promise import natural
    from foveal.classic.descriptors import HOG, ColorHistogram

    monkeypatch.setattr(
        natural,
        "natural_extractors",
        lambda seed: [
            ("HOG + linear", "classical", lambda: HOG(size=(64, 64), cell=16)),
            ("colour histogram + linear", "classical", lambda: ColorHistogram(size=(32, 32))),
        ],
    )
    splits = []

    def fake_defaults(train, test, classes, cfg):
        splits.append((len(train), len(test), classes))
        return promise.Row("classification", "ants-bees", "stub", "deep", "accuracy", note="-")

    monkeypatch.setattr(natural, "train_classify_defaults", fake_defaults)
    rows = promise.run_ants_bees(promise.Settings(shared=shared, log=lambda m: None))
    assert [r.method for r in rows] == ["HOG + linear", "colour histogram + linear", "stub"]
    assert splits == [(184, 61, ["ants", "bees"])]
    # hand-crafted features on natural photos: above chance (0.54), well below the CNN's ~0.96
    assert all(0.5 <= r.value < 0.9 for r in rows[:2]), [(r.method, r.value) for r in rows]
