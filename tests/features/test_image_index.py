"""Image search on scikit-image photos and transformed copies; incremental updates; bad input."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance

from foveal.cli import main
from foveal.features.index import ImageIndex, IndexMismatchError, exact_topk
from foveal.io import load_image
from foveal.samples import skimage_data_dir

ORIGINALS = (
    "astronaut", "chelsea", "coffee", "rocket", "motorcycle_left",
    "hubble_deep_field", "camera", "coins", "retina", "text",
)  # fmt: skip


def _crop(a: np.ndarray) -> np.ndarray:
    h, w = a.shape[:2]
    return a[h // 10 : h - h // 10, w // 10 : w - w // 10]


def _resize(a: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(a).resize((a.shape[1] // 2, a.shape[0] // 2), Image.BILINEAR))


def _jitter(a: np.ndarray) -> np.ndarray:
    im = ImageEnhance.Brightness(Image.fromarray(a)).enhance(1.15)
    im = ImageEnhance.Color(im).enhance(0.75)
    return np.asarray(ImageEnhance.Contrast(im).enhance(0.9))


@pytest.fixture(scope="module")
def collection(tmp_path_factory) -> dict[str, Path]:
    """originals/NAME.png and copies/NAME_{crop,resize,jpeg,jitter}.{png,jpg}."""
    root = tmp_path_factory.mktemp("collection")
    (root / "originals").mkdir()
    (root / "copies").mkdir()
    data = skimage_data_dir()
    for name in ORIGINALS:
        img = load_image(sorted(data.glob(f"{name}.*"))[0])
        scale = 512 / max(img.shape[:2])
        if scale < 1:  # keep the test quick: at most 512 pixels a side
            img = np.asarray(
                Image.fromarray(img).resize(
                    (round(img.shape[1] * scale), round(img.shape[0] * scale))
                )
            )
        Image.fromarray(img).save(root / "originals" / f"{name}.png")
        Image.fromarray(_crop(img)).save(root / "copies" / f"{name}_crop.png")
        Image.fromarray(_resize(img)).save(root / "copies" / f"{name}_resize.png")
        Image.fromarray(img).save(root / "copies" / f"{name}_jpeg.jpg", quality=40)
        Image.fromarray(_jitter(img)).save(root / "copies" / f"{name}_jitter.png")
    return {"root": root, "originals": root / "originals", "copies": root / "copies"}


@pytest.fixture(scope="module")
def built(collection, tmp_path_factory) -> Path:
    idx = tmp_path_factory.mktemp("idx") / "photos.index"
    assert (
        main(["index", "build", str(collection["originals"]), "--index", str(idx), "--no-progress"])
        == 0
    )
    return idx


def test_each_copy_finds_its_original(built, collection):
    with ImageIndex.open(built) as index:
        assert len(index) == len(ORIGINALS)
        assert index.extractor.name == "mobilenet_v2.imagenet"
        copies = sorted(collection["copies"].iterdir())
        assert len(copies) == 4 * len(ORIGINALS)
        for copy in copies:
            hits = index.search(copy, k=3, backend="exact")
            original = copy.name.rsplit("_", 1)[0] + ".png"
            assert Path(hits[0].path).name == original, (copy.name, hits)
            assert hits[0].score > hits[1].score
        # the faiss backend (flat below 20,000 items) agrees with exact search
        q = index.embed(copies[0])
        e = index.search(q, k=5, backend="exact")
        f = index.search(q, k=5, backend="faiss")
        assert [h.path for h in e] == [h.path for h in f]
        np.testing.assert_allclose([h.score for h in e], [h.score for h in f], atol=1e-5)


def test_search_cli(built, collection, capsys):
    capsys.readouterr()
    rc = main(
        [
            "index",
            "search",
            str(collection["copies"] / "chelsea_jitter.png"),
            "-k",
            "3",
            "--index",
            str(built),
            "--json",
        ]
    )
    assert rc == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and '"rank": 1' in lines[0] and "chelsea.png" in lines[0]


def test_dupes_finds_all_copies_and_nothing_else(built, collection, capsys, tmp_path):
    work = tmp_path / "all"
    shutil.copytree(collection["originals"], work / "originals")
    shutil.copytree(collection["copies"], work / "copies")
    idx = tmp_path / "dupes.index"
    assert (
        main(["index", "build", str(work / "originals"), "--index", str(idx), "--no-progress"]) == 0
    )
    capsys.readouterr()
    # dupes over the whole folder: updates the index incrementally (adds the 40 copies) first
    assert main(["index", "dupes", str(work), "--index", str(idx), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert f"{4 * len(ORIGINALS)} added" in err and f"{len(ORIGINALS)} unchanged" in err
    with ImageIndex.open(idx) as index:
        groups = index.dupes(under=[work])
    got = sorted(sorted(Path(h.path).name for h in g) for g in groups)
    expected = sorted(
        sorted([f"{n}.png", f"{n}_crop.png", f"{n}_resize.png", f"{n}_jpeg.jpg", f"{n}_jitter.png"])
        for n in ORIGINALS
    )
    assert got == expected


def test_incremental_updates(collection, tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for name in ("astronaut", "coffee", "rocket"):
        shutil.copy(collection["originals"] / f"{name}.png", folder)
    idx = tmp_path / "inc.index"
    with ImageIndex.open(idx, extractor="mobilenet_v2.imagenet", create=True) as index:
        s = index.update([folder])
        assert (s.added, s.updated, s.removed, s.unchanged) == (3, 0, 0, 0)
        gen = index.generation
        index.vectors()
        assert (idx / f"vectors.{gen}.npy").is_file()

        s = index.update([folder])  # nothing changed: nothing embedded, generation unchanged
        assert (s.added, s.updated, s.removed, s.unchanged) == (3 - 3, 0, 0, 3)
        assert index.generation == gen

        # same content, new mtime: hashed, not re-embedded
        os.utime(folder / "coffee.png", ns=(1, 1_000_000_000))
        # new content under an old name: re-embedded
        shutil.copy(collection["originals"] / "chelsea.png", folder / "rocket.png")
        # removed and added files
        (folder / "astronaut.png").unlink()
        shutil.copy(collection["originals"] / "coins.png", folder)
        s = index.update([folder])
        assert (s.added, s.updated, s.removed, s.touched) == (1, 1, 1, 1)
        assert sorted(Path(p).name for p in index.paths()) == [
            "coffee.png",
            "coins.png",
            "rocket.png",
        ]
        hit = index.search(collection["originals"] / "chelsea.png", k=1)[0]
        assert Path(hit.path).name == "rocket.png" and hit.score > 0.99
        # the cache follows the database: old generation files are gone, new ones written on use
        index.vectors()
        assert not (idx / f"vectors.{gen}.npy").exists()
        assert (idx / f"vectors.{index.generation}.npy").is_file()
        ids, vecs = index.vectors()
        assert len(ids) == len(vecs) == 3


def test_unreadable_files_reported_and_skipped(collection, tmp_path, capsys):
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(collection["originals"] / "coffee.png", folder)
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "text.png").write_bytes(b"this is not a png")
    good = io.BytesIO()
    Image.fromarray(load_image(collection["originals"] / "rocket.png")).save(good, "JPEG")
    (folder / "truncated.jpg").write_bytes(good.getvalue()[:2000])
    idx = tmp_path / "mixed.index"
    capsys.readouterr()
    rc = main(["index", "build", str(folder), "--index", str(idx), "--no-progress"])
    assert rc == 1
    err = capsys.readouterr().err
    for bad in ("empty.jpg", "text.png", "truncated.jpg"):
        assert f"skipped {folder / bad}" in err
    assert "1 added" in err and "3 skipped" in err
    with ImageIndex.open(idx) as index:
        assert [Path(p).name for p in index.paths()] == ["coffee.png"]


def test_extractor_mismatch_is_refused(built, collection, capsys):
    with pytest.raises(IndexMismatchError, match="mobilenet_v2.imagenet") as err:
        ImageIndex.open(built, extractor="hog")
    assert "--extractor mobilenet_v2.imagenet" in str(err.value)
    capsys.readouterr()
    rc = main(
        [
            "index",
            "search",
            str(collection["copies"] / "coins_crop.png"),
            "--index",
            str(built),
            "--extractor",
            "color_hist",
        ]
    )
    assert rc == 2
    msg = capsys.readouterr().err
    assert "built with extractor 'mobilenet_v2.imagenet'" in msg and "'color_hist'" in msg
    with ImageIndex.open(built) as index, pytest.raises(IndexMismatchError, match="length 3"):
        index.search(np.ones(3, np.float32))
    assert main(["index", "search", "x.png", "--index", str(built.parent / "missing")]) == 2
    assert "not a foveal image index" in capsys.readouterr().err


def test_handcrafted_index_with_learned_vocabulary(collection, tmp_path):
    idx = tmp_path / "sift.index"
    with ImageIndex.open(idx, extractor="sift_bovw", create=True) as index:
        index.update([collection["originals"]])
        vocab = index.extractor.vocabulary.copy()
    with ImageIndex.open(idx) as index:  # reopened: the stored vocabulary is used
        np.testing.assert_array_equal(index.extractor.vocabulary, vocab)
        assert (
            Path(index.search(collection["copies"] / "rocket_resize.png", k=1)[0].path).name
            == "rocket.png"
        )
        with pytest.raises(Exception, match="threshold"):
            index.dupes()  # no calibrated threshold for hand-crafted features


def test_exact_and_faiss_on_synthetic_vectors(tmp_path, monkeypatch):
    import foveal.features.search as search

    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((3000, 64)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = np.arange(100, 3100)
    q = vecs[:20] + 0.05 * rng.standard_normal((20, 64)).astype(np.float32)
    scores, got = exact_topk(vecs, ids, q, 5)
    ref = np.argsort(-(q @ vecs.T), axis=1)[:, :5] + 100  # brute force
    np.testing.assert_array_equal(got, ref)
    assert (got[:, 0] == np.arange(100, 120)).all()

    monkeypatch.setattr(search, "FAISS_MIN_ITEMS", 1000)  # use the IVF index on this small set
    index = ImageIndex.open(
        tmp_path / "syn.index", extractor="gabor", create=True
    )  # 96-d ... not 64
    with pytest.raises(IndexMismatchError):
        index.add_vectors([f"v{i}" for i in range(3000)], vecs)
    g = index.extractor.dim
    vecs2 = rng.standard_normal((3000, g)).astype(np.float32)
    vecs2 /= np.linalg.norm(vecs2, axis=1, keepdims=True)
    index.add_vectors([f"v{i}" for i in range(3000)], vecs2)
    q2 = vecs2[:50] + 0.02 * rng.standard_normal((50, g)).astype(np.float32)
    s_ex, i_ex = index.search_vectors(q2, k=10, backend="exact")
    s_fa, i_fa = index.search_vectors(q2, k=10, backend="faiss", nprobe=32)
    assert type(index.faiss_index()).__name__ == "IndexIVFFlat"
    assert (i_ex[:, 0] == i_fa[:, 0]).all()  # the near-copy is always found
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(i_ex, i_fa, strict=True)])
    assert recall > 0.5
    assert index.search(vecs2[7], k=1)[0].path == "v7"
    index.close()
