"""`foveal train detect` on a tiny VOC dataset built from three BCCD images."""

from __future__ import annotations

import shutil

import pytest

from foveal.cli import main


def _tiny_voc(shared, tmp_path):
    src = shared / "data" / "detection" / "bccd" / "BCCD"
    root = tmp_path / "voc"
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / sub).mkdir(parents=True)
    stems = (src / "ImageSets" / "Main" / "train.txt").read_text().split()[:3]
    for s in stems:
        shutil.copy(src / "Annotations" / f"{s}.xml", root / "Annotations")
        shutil.copy(src / "JPEGImages" / f"{s}.jpg", root / "JPEGImages")
    (root / "ImageSets" / "Main" / "train.txt").write_text("\n".join(stems[:2]) + "\n")
    (root / "ImageSets" / "Main" / "val.txt").write_text(stems[2] + "\n")
    return root


def test_train_detect_end_to_end(shared, tmp_path, capsys) -> None:
    import torch

    data = _tiny_voc(shared, tmp_path)
    run_dir = tmp_path / "run"
    argv = [
        "train",
        "detect",
        str(data),
        "--epochs",
        "1",
        "--input-size",
        "128",
        "--batch-size",
        "2",
        "--run-dir",
        str(run_dir),
        "--no-progress",
        "--threads",
        "1",
        "--mosaic",
        "0.5",
    ]
    threads = torch.get_num_threads()
    try:
        rc = main(argv)
    finally:
        torch.set_num_threads(threads)
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert (run_dir / "model.onnx").is_file()
    assert "mAP" in captured.out


def test_train_detect_options_are_checked() -> None:
    with pytest.raises(SystemExit):
        main(["train", "detect", "data/", "--frobnicate", "3"])
