"""foveal's CRNN recognizer: shapes, a few training steps (the loss falls), ONNX export, use in the
pipeline."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest
import torch

from foveal.tasks.ocr.crnn import CRNN, sequence_lengths
from foveal.tasks.ocr.synth import CHARSET, random_text, render_line
from foveal.tasks.ocr.train import OcrOptions, OcrRecipe, collate, encode, greedy_decode


def test_crnn_shapes_follow_the_width(one_thread) -> None:
    net = CRNN(len(CHARSET) + 1).eval()
    with torch.no_grad():
        for w in (40, 161, 400):
            out = net(torch.zeros(2, 1, 32, w))
            assert out.shape == (2, int(sequence_lengths(torch.tensor([w]))[0]), len(CHARSET) + 1)


def test_encode_and_greedy_decode_round_trip() -> None:
    ids = encode("ab a", CHARSET)
    logits = torch.full((1, 2 * len(ids) + 1, len(CHARSET) + 1), -5.0)
    for k, c in enumerate(ids):  # c, blank, c, blank ...
        logits[0, 2 * k, c] = 5.0
        logits[0, 2 * k + 1, 0] = 5.0
    logits[0, -1, 0] = 5.0
    assert greedy_decode(logits, torch.tensor([logits.shape[1]])) == ["ab a"]


def test_synthetic_lines_render_their_text() -> None:
    rng = random.Random(3)
    for _ in range(20):
        t = random_text(rng, max_len=20)
        assert 1 <= len(t) <= 20 and t == " ".join(t.split())
        img = render_line(t, rng, height=32)
        assert img.shape[0] == 32 and img.dtype == np.uint8 and img.std() > 5


def test_synthetic_epochs_are_fresh_reproducible_and_batched_by_width() -> None:
    from foveal.tasks.ocr.train import SyntheticLines

    def epoch(ds: SyntheticLines, e: int) -> tuple[list[int], list[str]]:
        widths = ds.lengths(e)
        items = [ds[i] for i in range(len(ds))]
        assert [x.shape[2] for x, _ in items] == widths
        assert all(
            x.shape[:2] == (1, 32) and x.dtype == np.float32 and -1 <= x.min() < x.max() <= 1
            for x, _ in items
        )
        return widths, [t for _, t in items]

    train = SyntheticLines(24, seed=5, max_len=16)
    w0, t0 = epoch(train, 0)
    w1, t1 = epoch(train, 1)  # rendered ahead in the background
    assert t0 != t1 and len(set(t0) & set(t1)) < 4
    assert epoch(SyntheticLines(24, seed=5, max_len=16), 1) == (
        w1,
        t1,
    )  # same lines without the thread
    val = SyntheticLines(24, seed=9, max_len=16, fixed=True)
    assert epoch(val, 0) == epoch(val, 7)
    short, long = (
        train[0],
        max((train[i] for i in range(len(train))), key=lambda item: item[0].shape[2]),
    )
    batch = collate([short, long])
    pad = batch["image"][0, 0, :, short[0].shape[2] :]
    light = float(np.median(short[0][0, [0, -1]]))  # the line's own background, not mid-gray 0
    assert (
        pad.numel() and torch.allclose(pad, torch.full_like(pad, light), atol=0.15) and light > 0.2
    )
    recipe = OcrRecipe(OcrOptions(train_size=64, val_size=8, batch_size=8))
    loader = recipe.val_loader()
    widths = [b["widths"].tolist() for b in loader]
    flat = [w for ws in widths for w in ws]
    assert flat == sorted(flat) and all(
        max(ws) <= b["image"].shape[3] < max(ws) + 32 and b["image"].shape[3] % 32 == 0
        for b, ws in zip(loader, widths, strict=True)
    )


@pytest.fixture()
def one_thread():
    saved = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny batches: threads only add contention
    yield
    torch.set_num_threads(saved)


def test_a_few_training_steps_lower_the_ctc_loss(one_thread) -> None:
    torch.manual_seed(0)
    recipe = OcrRecipe(
        OcrOptions(train_size=16, val_size=8, batch_size=8, width_mult=0.5, hidden=64, layers=1)
    )
    model = recipe.build_model()
    batch = collate([recipe._datasets()[0][i] for i in range(8)])
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(12):  # overfit one fixed batch
        loss = recipe.training_step(model, batch)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.isfinite(losses).all()
    assert np.mean(losses[-3:]) < 0.6 * np.mean(losses[:3])


def test_engine_run_exports_an_onnx_recognizer_for_the_pipeline(tmp_path, shared) -> None:
    from foveal.tasks.ocr import TextReader
    from foveal.train import TrainConfig, Trainer

    recipe = OcrRecipe(
        OcrOptions(train_size=16, val_size=8, batch_size=8, width_mult=0.5, hidden=32, layers=1)
    )
    cfg = TrainConfig(epochs=1, lr=1e-3, run_dir=str(tmp_path / "run"), progress=False, threads=1)
    result = Trainer(recipe, cfg).fit()
    assert result.export_path is not None and result.export_path.is_file()
    assert 0.0 <= result.final["cer"]
    reader = TextReader(result.run_dir)
    assert reader.recognizer.charset[1:] == list(CHARSET)
    assert (
        reader.recognizer.pad_background and reader.recognizer.interpolation == cv2.INTER_AREA
    )  # as trained
    assert reader.recognizer.name == "crnn.foveal" and reader.recognizer.height == 32
    lines = reader.predict(
        shared / "data" / "ocr" / "pages" / "phototest.tif"
    )  # untrained: any text, no crash
    assert all(set(t) <= set(CHARSET) for t in lines.texts)


def test_cli_train_ocr_rejects_bad_usage() -> None:
    from foveal.cli import main

    with pytest.raises(SystemExit):
        main(["train", "ocr"])  # neither --synthetic nor a folder
    with pytest.raises(SystemExit):
        main(["train", "ocr", "--synthetic", "--bogus"])


def test_cli_train_ocr_defaults_are_the_benchmarked_recipe() -> None:
    from foveal.cli import build_parser
    from foveal.cli.engine_options import engine_config

    args = build_parser().parse_args(["train", "ocr", "--synthetic", "--threads", "1"])
    cfg = engine_config(args, 3e-3)
    assert (
        cfg.epochs,
        cfg.lr,
        cfg.weight_decay,
        cfg.warmup_epochs,
        cfg.grad_clip,
        cfg.schedule,
    ) == (22, 3e-3, 0.01, 0.3, 5.0, "cosine")
    assert (args.train_size, args.batch_size, args.width_mult, args.hidden, args.layers) == (
        4096,
        32,
        0.5,
        96,
        1,
    )
    classify = build_parser().parse_args(["train", "classify", "somewhere"])
    assert (classify.weight_decay, classify.grad_clip, classify.warmup) == (
        0.05,
        0.0,
        1.0,
    )  # others keep theirs
