"""ImageFolder scanning, stratified splits, checks and the Fashion-MNIST converter (real Debian
data)."""

from __future__ import annotations

import runpy
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from foveal.cli import main
from foveal.data.check_images import check_imagefolder, split_imagefolder
from foveal.data.fashion_mnist import CLASSES, DEBIAN_DIR, read_idx, to_imagefolder
from foveal.data.imagefolder import load_splits, scan
from foveal.errors import ConfigError

READER = Path("/usr/share/doc/dataset-fashion-mnist/utils/mnist_reader.py")


@pytest.fixture(scope="module")
def fmnist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (DEBIAN_DIR / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.fail("Debian package dataset-fashion-mnist is missing: run scripts/system-deps.sh")
    out = tmp_path_factory.mktemp("fm") / "fm"
    to_imagefolder(out, limit_per_class=10, splits=("test",))
    return out


def test_idx_reader_matches_zalandos_reference_loader() -> None:
    ref = runpy.run_path(str(READER))["load_mnist"]
    images, labels = ref(str(DEBIAN_DIR), kind="t10k")
    ours = read_idx(DEBIAN_DIR / "t10k-images-idx3-ubyte.gz")
    assert ours.shape == (10000, 28, 28)
    assert np.array_equal(ours.reshape(10000, 784), images)
    assert np.array_equal(read_idx(DEBIAN_DIR / "t10k-labels-idx1-ubyte.gz"), labels)


def test_converter_writes_an_imagefolder(fmnist: Path) -> None:
    tree = scan(fmnist / "test")
    assert tree.classes == sorted(CLASSES) and tree.counts() == [10] * 10
    from foveal.io import load_image

    img = load_image(tree.samples[0][0])
    assert img.shape == (28, 28, 3)


def test_stratified_split_and_split_command(fmnist: Path, tmp_path: Path) -> None:
    s = load_splits(fmnist / "test", val_fraction=0.2, seed=3)
    assert Counter(label for _, label in s.val) == {i: 2 for i in range(10)}
    assert not {p for p, _ in s.train} & {p for p, _ in s.val}
    assert load_splits(fmnist / "test", val_fraction=0.2, seed=3).val == s.val
    assert (
        main(
            [
                "data",
                "split",
                str(fmnist / "test"),
                str(tmp_path / "out"),
                "--val",
                "0.2",
                "--test",
                "0.1",
                "--mode",
                "hardlink",
            ]
        )
        == 0
    )
    counts = {d.name: sum(1 for _ in d.rglob("*.png")) for d in (tmp_path / "out").iterdir()}
    assert counts == {"train": 70, "val": 20, "test": 10}
    rep = check_imagefolder(tmp_path / "out")
    assert rep.ok, rep.problems
    s2 = load_splits(tmp_path / "out")
    assert (
        len(s2.train) == 70 and len(s2.val) == 20 and len(s2.test) == 10 and "folders" in s2.source
    )
    with pytest.raises(ConfigError, match="not empty"):
        split_imagefolder(fmnist / "test", tmp_path / "out")


def test_check_reports_corrupt_empty_and_duplicates(fmnist: Path, tmp_path: Path, capsys) -> None:
    split_imagefolder(fmnist / "test", tmp_path / "d", val=0.3, mode="symlink")
    first = sorted((tmp_path / "d/train/Bag").iterdir())[0]
    (tmp_path / "d/val/Bag/copy.png").write_bytes(first.read_bytes())
    (tmp_path / "d/train/Coat/broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (tmp_path / "d/train/Empty").mkdir()
    (tmp_path / "d/train/Dress/notes.txt").write_text("hello")
    rep = check_imagefolder(tmp_path / "d")
    assert not rep.ok
    assert [Path(p).name for p, _ in rep.unreadable] == ["broken.jpg"]
    assert rep.empty_classes == ["train/Empty"]
    assert len(rep.duplicates_across) == 1 and {Path(p).name for p in rep.duplicates_across[0]} == {
        first.name,
        "copy.png",
    }
    assert rep.stray_files and rep.stray_files[0].endswith("notes.txt")
    assert main(["data", "check-images", str(tmp_path / "d")]) == 1
    out = capsys.readouterr().out
    assert (
        "broken.jpg" in out and "several splits" in out and "empty class folder train/Empty" in out
    )


def test_bad_trees_are_clear_errors(fmnist: Path, tmp_path: Path) -> None:
    one = tmp_path / "one"
    (one / "Bag").mkdir(parents=True)
    (one / "Bag/a.png").write_bytes((fmnist / "test/Bag").iterdir().__next__().read_bytes())
    (one / "Bag/b.png").write_bytes((fmnist / "test/Bag").iterdir().__next__().read_bytes())
    with pytest.raises(ConfigError, match="single class"):
        load_splits(one)
    with pytest.raises(ConfigError, match="--num-classes is 5, but .* has 10 class folders"):
        load_splits(fmnist / "test", num_classes=5)
    (one / "Coat").mkdir()
    with pytest.raises(ConfigError, match="without images.*Coat"):
        load_splits(one)
    with pytest.raises(ConfigError, match="no class folders"):
        load_splits(tmp_path / "one" / "Coat")
    with pytest.raises(ConfigError, match="not a folder"):
        load_splits(tmp_path / "missing")
