"""The segment task end to end on real membrane slices: a tiny U-Net trained by the shared
Trainer, exported to ONNX, then the predictor (sliding windows), the CLI and the evaluator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from foveal.cli import main
from foveal.results import Segmentation
from foveal.tasks.segment.predict import SegmentOptions


@pytest.fixture(scope="module")
def small_membrane(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four real slices, cut to 96x96 (image and mask alike)."""
    src = shared / "data" / "segmentation" / "membrane"
    root = tmp_path_factory.mktemp("membrane")
    for sub in ("images", "masks"):
        (root / sub).mkdir()
        for name in ("0.png", "1.png", "2.png", "3.png"):
            Image.open(src / sub / name).crop((0, 0, 96, 96)).save(root / sub / name)
    return root


@pytest.fixture(scope="module")
def run_dir(small_membrane: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "seg"
    rc = main(
        [
            "train", "segment", str(small_membrane), "--encoder", "classic", "--crop", "32",
            "--crops-per-epoch", "4", "--batch-size", "2", "--epochs", "1", "--run-dir", str(out),
            "--no-progress", "--threads", "1",
        ]
    )  # fmt: skip
    assert rc == 0
    return out


def test_training_writes_an_onnx_model_with_the_mask_convention(run_dir: Path) -> None:
    from foveal.runtime import read_meta

    meta = read_meta(run_dir / "model.onnx")
    assert meta.task == "segment" and meta.labels == ("class_0", "class_255")
    assert meta.params["mask_values"] == [0, 255]
    recipe = json.loads((run_dir / "config.json").read_text())["recipe"]
    assert recipe["val_images"] == ["0.png"] and len(recipe["train_images"]) == 3
    assert (run_dir / "loss.png").is_file() and (run_dir / "checkpoints").is_dir()


def test_sliding_windows_agree_with_one_window(run_dir: Path, shared: Path) -> None:
    import foveal

    img = np.asarray(
        Image.open(shared / "data" / "segmentation" / "membrane" / "images" / "5.png")
        .convert("RGB")
        .crop((0, 0, 200, 136))
    )
    whole = foveal.segment(img, model=run_dir, tile=256, probabilities=True)
    tiled = foveal.segment(img, model=run_dir, tile=64, overlap=16, probabilities=True)
    assert isinstance(tiled, Segmentation) and tiled.shape == (136, 200)
    assert tiled.probabilities.shape == (2, 136, 200)
    np.testing.assert_allclose(tiled.probabilities.sum(0), 1.0, atol=1e-4)
    assert (tiled.class_map == whole.class_map).mean() > 0.9
    assert sum(tiled.areas.values()) == 136 * 200


def test_cli_writes_masks_in_the_training_convention(
    run_dir: Path, small_membrane: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "masks"
    rc = main(
        [
            "segment", str(small_membrane / "images"), "--model", str(run_dir), "--out", str(out),
            "--overlay", "--json", "--threads", "1",
        ]
    )  # fmt: skip
    assert rc == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == 4 and lines[0]["width"] == 96
    mask = np.asarray(Image.open(out / "0.png"))
    assert mask.shape == (96, 96) and set(np.unique(mask)) <= {0, 255}
    assert (out / "0.overlay.png").is_file()


def test_eval_reports_pixel_error_iou_and_dice(
    run_dir: Path, small_membrane: Path, capsys: pytest.CaptureFixture
) -> None:
    rc = main(["eval", "segment", str(small_membrane), "--model", str(run_dir), "--json"])
    assert rc == 0
    m = json.loads(capsys.readouterr().out)
    assert m["images"] == 4 and m["pixels"] == 4 * 96 * 96
    assert 0.0 <= m["pixel_error"] <= 1.0 and set(m["dice"]) == {"class_0", "class_255"}


def test_segment_needs_a_model_and_sane_windows(
    run_dir: Path, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    import foveal
    from foveal.errors import ConfigError

    with pytest.raises(ConfigError, match="overlap"):
        foveal.segment(np.zeros((8, 8, 3), np.uint8), model=run_dir, tile=64, overlap=40)
    rc = main(["segment", str(tmp_path), "--model", str(run_dir)])
    err = capsys.readouterr().err
    assert rc != 0 and len(err.splitlines()) == 1 and err.startswith("foveal: error: ")


def test_segmentation_result_and_overlay() -> None:
    from foveal.viz import annotate

    cmap = np.zeros((20, 30), np.uint8)
    cmap[5:15, 10:20] = 1
    s = Segmentation(cmap, ["bg", "cell"], mask_values=(0, 255), source="x.png")
    assert s.areas == {"bg": 500, "cell": 100}
    (poly,) = s.polygons(1)
    assert poly.min(0).tolist() == [10, 5] and poly.max(0).tolist() == [19, 14]
    assert np.array_equal(s.polygons("cell")[0], poly)  # by name, as areas are keyed
    from foveal.results import ResultError

    for unknown, words in (("class_255", "no class named 'class_255'; "), (99, "no class id 99")):
        with pytest.raises(ResultError, match=words):
            s.polygons(unknown)
    d = s.to_dict()
    assert d["source"] == "x.png" and d["classes"][1] == {
        "class_id": 1, "name": "cell", "area": 100, "fraction": 0.166667,
    }  # fmt: skip
    drawn = annotate(np.full((20, 30, 3), 128, np.uint8), s)
    assert (drawn[10, 15] != 128).any() and (drawn[0, 0] == 128).all()
    with pytest.raises(ResultError, match="holds id 2"):
        Segmentation(cmap * 2, ["bg", "cell"])


def test_large_images_keep_one_row_of_windows(run_dir: Path) -> None:
    import tracemalloc

    from foveal.tasks import get_task

    seg = get_task("segment").load(model=str(run_dir))
    image = np.random.default_rng(0).integers(0, 255, (2048, 384, 3), dtype=np.uint8)
    tracemalloc.start()
    result = seg.predict(image, tile=128, overlap=32)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.shape == (2048, 384) and result.probabilities is None
    full_probabilities = 2 * 2048 * 384 * 4  # what a whole-image accumulator would take
    assert peak < full_probabilities / 2, peak


def test_tta_averages_the_eight_flips_and_turns(run_dir: Path, shared: Path) -> None:
    import foveal
    from foveal.tasks.segment.predict import dihedral

    img = np.asarray(
        Image.open(shared / "data" / "segmentation" / "membrane" / "images" / "7.png")
        .convert("RGB")
        .crop((40, 8, 136, 72))
    )  # 96x64: multiples of the classic net's 16, so every view needs no padding
    tta = foveal.segment(img, model=run_dir, tile=128, tta=True, probabilities=True)
    views = []
    for flip, turns in dihedral():
        view = np.ascontiguousarray(np.rot90(img[:, ::-1] if flip else img, turns))
        p = foveal.segment(view, model=run_dir, tile=128, tta=False, probabilities=True)
        back = np.rot90(p.probabilities, -turns, (1, 2))
        views.append(back[:, :, ::-1] if flip else back)
    np.testing.assert_allclose(tta.probabilities, np.mean(views, 0), atol=1e-5)
    single = foveal.segment(img, model=run_dir, tile=128, tta=False, probabilities=True)
    assert not np.allclose(single.probabilities, tta.probabilities, atol=1e-3)
    assert SegmentOptions().tta is False  # opt-in: 8x the time for a small gain


def test_tta_on_the_command_line_and_as_an_analyze_option(
    run_dir: Path, small_membrane: Path, tmp_path: Path
) -> None:
    import foveal
    from foveal.analyze.tasks import coerce_options, load_runner
    from foveal.tasks import get_task

    rc = main(
        [
            "segment", str(small_membrane / "images" / "1.png"), "--model", str(run_dir),
            "--out", str(tmp_path), "--tta", "--threads", "1",
        ]
    )  # fmt: skip
    assert rc == 0
    averaged = foveal.segment(small_membrane / "images" / "1.png", model=run_dir, tta=True)
    assert (np.asarray(Image.open(tmp_path / "1.png")) == averaged.to_mask()).all()
    typed = coerce_options(get_task("segment"), {"model": str(run_dir), "tta": "true"})
    runner = load_runner("segment", typed)  # what analyze --option and serve's form fields do
    assert runner.options.tta is True
    from foveal.io import load_image

    record = runner.run([runner.prepare(load_image(small_membrane / "images" / "1.png"))])[0]
    assert {c["name"]: c["area"] for c in record["classes"]} == averaged.areas


def test_default_recipe_counts_samples_not_images() -> None:
    from foveal.cli.commands import train_segment
    from foveal.tasks.segment.train import (
        DEFAULT_EPOCHS,
        DEFAULT_LR,
        SegmentationRecipe,
        SegmentTrainOptions,
        default_config,
    )
    from foveal.train.hardware import native_bf16

    opts = SegmentTrainOptions("membrane/")
    cfg = default_config()
    assert (train_segment.DEFAULT_EPOCHS, train_segment.DEFAULT_LR) == (DEFAULT_EPOCHS, DEFAULT_LR)
    assert train_segment.DEFAULT_CROPS_PER_EPOCH == opts.crops_per_epoch
    assert cfg.epochs * opts.crops_per_epoch // opts.batch_size >= 750  # optimiser steps
    assert cfg.amp is native_bf16() and default_config(amp=False).amp is False
    assert SegmentationRecipe.select == "last"
