"""The restore task: degradations, tiled inference, the shipped denoiser, training, ONNX parity,
evaluation and one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests.hostile.cli_support import one_line, run_cli

from foveal.errors import ConfigError, FovealError
from foveal.tasks import TASKS
from foveal.tasks.restore.degrade import apply_degradations, parse_degradations
from foveal.tasks.restore.evaluate import evaluate_restorer, score
from foveal.tasks.restore.predict import shipped_model


def crop(photos: dict[str, Path], name: str, size: int = 128) -> np.ndarray:
    img = np.asarray(Image.open(photos[name]).convert("RGB"))
    y, x = (img.shape[0] - size) // 2, (img.shape[1] - size) // 2
    return img[y : y + size, x : x + size]


@pytest.fixture(scope="module")
def clean_folder(tmp_path_factory: pytest.TempPathFactory, photos: dict[str, Path]) -> Path:
    folder = tmp_path_factory.mktemp("clean")
    for name in ("coffee", "chelsea", "astronaut"):
        Image.fromarray(crop(photos, name, 96)).save(folder / f"{name}.png")
    return folder


# -- degradations ---------------------------------------------------------------------------
def test_degradations_do_what_they_say() -> None:
    rng = np.random.default_rng(0)
    flat = np.full((64, 80, 3), 0.5, np.float32)
    noisy = apply_degradations(flat, parse_degradations("gaussian:25"), rng)
    assert abs(float((noisy - flat).std()) * 255 - 25) < 1.0
    striped = apply_degradations(flat, parse_degradations("stripes:0.1"), rng)
    assert np.allclose(striped, striped[:1])  # column offsets: every row the same
    assert striped[0, :, 0].std() > 0.01
    ringed = apply_degradations(flat, parse_degradations("rings:0.1"), rng)
    # rings around the centre: mirror images through the centre agree
    assert np.allclose(ringed, ringed[::-1, ::-1], atol=1e-5) and ringed.std() > 0.005
    ranged = parse_degradations("gaussian:10-40,jpeg:20,blur")
    assert [(s.name, s.low, s.high) for s in ranged] == [
        ("gaussian", 10.0, 40.0),
        ("jpeg", 20.0, 20.0),
        ("blur", 1.0, 1.0),
    ]


@pytest.mark.parametrize("spec", ["speckle:3", "gaussian:x", "jpeg:0", "gaussian:40-10", ""])
def test_bad_degradation_spec_is_a_config_error(spec: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_degradations(spec)
    assert "\n" not in str(err.value)


# -- inference ------------------------------------------------------------------------------
def test_shipped_model_is_small_and_denoises(photos: dict[str, Path]) -> None:
    assert shipped_model().stat().st_size <= 10 * 1024 * 1024
    restorer = TASKS["restore"].load()
    clean = crop(photos, "astronaut").astype(np.float32) / 255
    noisy = clean + np.random.default_rng(1).normal(0, 25 / 255, clean.shape).astype(np.float32)
    out = restorer.restore_array(noisy.transpose(2, 0, 1)).transpose(1, 2, 0)
    assert score(out, clean)["psnr"] > score(noisy, clean)["psnr"] + 5
    # the verb on a uint8 image: same size, uint8, a Restoration
    u8 = np.clip(noisy * 255 + 0.5, 0, 255).astype(np.uint8)
    import foveal

    r = foveal.restore(u8)
    assert r.image.shape == u8.shape and r.image.dtype == np.uint8
    assert r.to_dict()["width"] == 128 and r.to_dict()["change"] > 5


def test_tiles_match_the_whole_image(photos: dict[str, Path]) -> None:
    restorer = TASKS["restore"].load()
    img = np.asarray(Image.open(photos["coffee"]).convert("RGB"))[:150, :230]
    x = img.transpose(2, 0, 1).astype(np.float32) / 255
    whole = restorer.restore_array(x, restorer.options(tile=512))
    tiled = restorer.restore_array(x, restorer.options(tile=96, overlap=32))
    assert whole.shape == tiled.shape == x.shape
    # the restore U-Net's receptive field fits in 32 pixels of context: tiles give the whole
    # image's output exactly (measured: max difference 0)
    assert float(np.abs(whole - tiled).max()) < 1e-5


def test_bad_tile_options() -> None:
    restorer = TASKS["restore"].load()
    for kw in ({"tile": 50}, {"tile": 64, "overlap": 32}, {"overlap": -1}):
        with pytest.raises(ConfigError):
            restorer.options(**kw)


# -- training, export, evaluation ---------------------------------------------------------
@pytest.mark.parametrize("self_supervised", [False, True])
def test_train_exports_onnx_with_parity(
    clean_folder: Path, tmp_path: Path, self_supervised: bool
) -> None:
    import torch

    from foveal.nn.restore import RestoreUNet
    from foveal.tasks.restore.train import RestoreTrainOptions, train_restorer
    from foveal.train import TrainConfig

    opts = RestoreTrainOptions(
        data=str(clean_folder),
        degrade="gaussian:25,stripes,rings",
        self_supervised=self_supervised,
        width=8,
        crop=32,
        batch_size=4,
        steps_per_epoch=2,
        val_fraction=0.34,
    )
    cfg = TrainConfig(epochs=1, lr=2e-3, run_dir=str(tmp_path / "run"), progress=False)
    result = train_restorer(opts, cfg)
    assert result.epochs_run == 1 and np.isfinite(result.final["psnr"])
    onnx_path = tmp_path / "run" / "model.onnx"
    restorer = TASKS["restore"].load(model=str(tmp_path / "run"))
    assert restorer.meta.task == "restore" and restorer.channels == 3
    # parity: the ONNX file against the best checkpoint's PyTorch network
    state = torch.load(tmp_path / "run" / "checkpoints" / "best.pt", weights_only=False)
    net = RestoreUNet(3, 8)
    net.load_state_dict(state["model"])
    x = np.random.default_rng(0).random((3, 40, 56), dtype=np.float32)
    with torch.no_grad():
        ref = net.eval()(torch.from_numpy(x)[None])[0].numpy()
    assert np.abs(restorer.restore_array(x) - ref).max() < 1e-4
    assert onnx_path.is_file()


def test_eval_reports_psnr_and_ssim(clean_folder: Path, tmp_path: Path) -> None:
    rep = evaluate_restorer(clean_folder, degrade="gaussian:25")
    assert rep["images"] == 3 and rep["psnr"] > rep["psnr_input"] + 4
    assert rep["ssim"] > rep["ssim_input"]
    # degraded images paired by name; a size mismatch is one clear error
    noisy = tmp_path / "noisy"
    noisy.mkdir()
    Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(noisy / "coffee.png")
    with pytest.raises(ConfigError, match="same size"):
        evaluate_restorer(clean_folder, images=noisy)
    # one degraded image for three references: scored on the one pair, the other two named
    Image.open(clean_folder / "coffee.png").save(noisy / "coffee.png")
    rep = evaluate_restorer(clean_folder, images=noisy)
    assert rep["images"] == 1 and rep["references_without_image"] == ["astronaut", "chelsea"]


# -- bad input: one line --------------------------------------------------------------------
def test_cli_restore_and_errors(
    capsys: pytest.CaptureFixture, clean_folder: Path, tmp_path: Path
) -> None:
    rc, out, err = run_cli(capsys, "restore", clean_folder / "coffee.png", "--out", tmp_path / "o")
    assert rc == 0 and (tmp_path / "o" / "coffee.png").is_file()
    restored = np.asarray(Image.open(tmp_path / "o" / "coffee.png"))
    assert restored.shape == (96, 96, 3)
    # --out = the input's own folder: the input stays, the result goes next to it
    inputs = {p: p.read_bytes() for p in clean_folder.iterdir()}
    rc, out, _ = run_cli(capsys, "restore", clean_folder / "coffee.png", "--out", clean_folder)
    assert rc == 0 and out.strip().endswith("coffee-1.png")
    assert all(p.read_bytes() == data for p, data in inputs.items())
    (clean_folder / "coffee-1.png").unlink()
    empty = tmp_path / "empty"
    empty.mkdir()
    rc, _, err = run_cli(capsys, "train", "restore", empty, "--run-dir", tmp_path / "r")
    assert rc != 0 and "holds 0 image(s)" in one_line(err)
    rc, _, err = run_cli(capsys, "train", "restore", clean_folder, "--degrade", "speckle")
    assert rc != 0 and "unknown degradation" in one_line(err)
    rc, _, err = run_cli(capsys, "train", "restore", clean_folder, "--crop", "512")
    assert rc != 0 and "at least 512x512" in one_line(err)
    rc, _, err = run_cli(capsys, "restore", empty, "--out", tmp_path / "o")
    assert rc != 0 and one_line(err)
    rc, _, err = run_cli(capsys, "restore", clean_folder, "--out", tmp_path / "o", "--tile", "50")
    assert rc != 0 and "tile" in one_line(err)
    rc, _, err = run_cli(capsys, "eval", "restore", clean_folder)
    assert rc != 0 and "--degrade" in one_line(err)
    rc, _, err = run_cli(capsys, "restore", clean_folder, "--out", tmp_path / "o", "--model", empty)
    assert rc != 0 and one_line(err)


def test_bad_image_is_skipped_and_reported(
    capsys: pytest.CaptureFixture, clean_folder: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "broken.png").write_bytes(b"not an image")
    Image.open(clean_folder / "chelsea.png").save(folder / "chelsea.png")
    rc, out, err = run_cli(capsys, "restore", folder, "--out", tmp_path / "o")
    assert rc == 1 and (tmp_path / "o" / "chelsea.png").is_file()
    assert "broken.png" in err and "Traceback" not in err
    assert issubclass(ConfigError, FovealError)
