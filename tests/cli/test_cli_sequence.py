"""`foveal train sequence`, `foveal sequence predict` and `foveal gestures` end to end on a slice
of the shared gesture rows; bad rows, unknown labels and short clips give one line each."""

from __future__ import annotations

import json

import numpy as np
import pytest

from foveal.cli import main


@pytest.fixture(scope="module")
def tiny_run(shared, tmp_path_factory):
    """An MLP trained for 2 epochs on 40 rows per class, with 2 bad rows and an unknown label."""
    root = shared / "data" / "gestures"
    lines = (root / "point_history.csv").read_text().splitlines()
    by_class: dict[str, list[str]] = {}
    for line in lines:
        by_class.setdefault(line.split(",")[0], []).append(line)
    rows = [r for c in sorted(by_class) for r in by_class[c][:40]]
    rows.insert(5, "0,0.1,0.2")  # wrong width
    rows.insert(9, "1," + ",".join(["0.1"] * 31) + ",abc")  # non-numeric cell
    rows.insert(12, "Wave," + ",".join(["0"] * 32))  # unknown label
    tmp = tmp_path_factory.mktemp("seq")
    data = tmp / "rows.csv"
    data.write_text("\n".join(rows) + "\n")
    run_dir = tmp / "run"
    argv = ["train", "sequence", str(data), "--step-dims", "2", "--labels"]
    argv += [str(root / "point_history_labels.csv"), "--arch", "mlp", "--epochs", "2"]
    argv += ["--run-dir", str(run_dir), "--no-progress", "--json"]
    return data, run_dir, argv


def test_train_skips_bad_rows_and_exports(tiny_run, capsys) -> None:
    data, run_dir, argv = tiny_run
    assert main(argv) == 0
    out, err = capsys.readouterr()
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["test_rows"] == 24 and 0.0 <= summary["test_accuracy"] <= 1.0
    assert "rows.csv line 6: 2 numbers; expected 32 (16 steps x 2)" in err
    assert "rows.csv line 10: cell 33 is 'abc', not a number" in err
    assert "rows.csv line 13: unknown label 'Wave'" in err
    for name in ("model.onnx", "metrics.csv", "test_confusion_matrix.png", "summary.json"):
        assert (run_dir / name).is_file()
    cfg = json.loads((run_dir / "config.json").read_text())
    assert cfg["recipe"]["split"] == {"train": 124, "val": 12, "test": 24}

    # predict: one JSON line per usable row; bad rows on stderr, exit status 1
    capsys.readouterr()
    assert main(["sequence", "predict", str(data), "--model", str(run_dir), "--json"]) == 1
    out, err = capsys.readouterr()
    preds = [json.loads(line) for line in out.splitlines()]
    assert len(preds) == 161  # 160 rows + the unknown-label row (its numbers are fine)
    assert set(preds[0]) == {"source", "class_id", "label", "score"}
    assert preds[0]["label"] in ("Stop", "Clockwise", "Counter Clockwise", "Move")
    assert len(err.strip().splitlines()) == 2 and "skipped rows.csv line 6" in err

    # rows without a label column are read too
    bare = data.parent / "bare.csv"
    bare.write_text("\n".join(",".join(line.split(",")[1:]) for line in data.read_text().split()))
    assert main(["sequence", "predict", str(bare), "--model", str(run_dir), "--json"]) == 1
    out, _ = capsys.readouterr()
    assert [json.loads(x)["label"] for x in out.splitlines()] == [p["label"] for p in preds]


def test_predict_with_the_wrong_step_dims_is_one_line(tiny_run, capsys) -> None:
    data, run_dir, argv = tiny_run
    if not (run_dir / "model.onnx").exists():
        assert main(argv) == 0
    capsys.readouterr()
    code = main(["sequence", "predict", str(data), "--model", str(run_dir), "--step-dims", "3"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "--step-dims 3, but" in err and "use --step-dims 2" in err


def test_train_without_step_dims_says_what_to_add(tiny_run, tmp_path, capsys) -> None:
    data, _, _ = tiny_run
    code = main(["train", "sequence", str(data), "--run-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "--step-dims D" in err and len(err.splitlines()) == 1


def test_clips_shorter_than_the_window_are_skipped(shared, tmp_path, capsys) -> None:
    from foveal.io.video import iter_video, write_video

    video = iter_video(shared / "data/video/vtest.avi")
    frames = [np.ascontiguousarray(f[::4, ::4]) for _, (_, f) in zip(range(8), video, strict=False)]
    for cls, flip in (("left", False), ("right", True)):
        (tmp_path / "clips" / cls).mkdir(parents=True)
        for k in range(3):
            clip = [np.ascontiguousarray(f[:, ::-1]) if flip else f for f in frames[k : k + 5]]
            write_video(tmp_path / "clips" / cls / f"c{k}.mp4", clip, 10)
    write_video(tmp_path / "clips" / "left" / "short.mp4", frames[:2], 10)
    run_dir = tmp_path / "run"
    argv = ["train", "sequence", str(tmp_path / "clips"), "--features", "cnn", "--frames", "4"]
    argv += ["--arch", "gru", "--epochs", "1", "--run-dir", str(run_dir), "--no-progress"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "short.mp4: 2 frame(s), shorter than the window of 4" in err
    code = main(["sequence", "predict", str(tmp_path / "clips"), "--model", str(run_dir), "--json"])
    out, err = capsys.readouterr()
    assert code == 1 and len(out.splitlines()) == 6 and "short.mp4: 2 frame(s)" in err


def test_gestures_read_hands_from_foveal_landmarks(shared) -> None:
    """The bridge gives foveal.landmarks' hand points, followed over frames of a real photo."""
    import foveal
    from foveal.io import load_image
    from foveal.tasks.sequence.landmark_bridge import hand_points, landmark_features

    photo = shared / "data/faces/people/test/kit_with_rose.jpg"
    frame = load_image(photo)
    expected = foveal.landmarks(frame, parts="hands", max_hands=1).hands
    assert len(expected) == 1
    points = list(hand_points([frame, frame, np.zeros_like(frame)]))
    assert np.abs(points[0] - expected[0, :, :2]).max() < 2.0  # first frame: detected as alone
    assert np.abs(points[1] - expected[0, :, :2]).max() < 6.0  # second: followed from the first
    assert np.isnan(points[2]).all()  # a black frame has no hand
    feats = landmark_features([frame], "holistic")
    assert feats.shape == (1, 2 * 21 * 2 + 33 * 2) and np.abs(feats[0, :42]).max() > 0.01


def test_gestures_over_a_drawn_fingertip_track(tiny_run, shared, tmp_path, monkeypatch, capsys):
    """The whole video loop with hand points given by a stand-in for foveal.landmarks."""
    import foveal.tasks.sequence.landmark_bridge as bridge
    from foveal.io.video import write_video

    _, run_dir, argv = tiny_run
    if not (run_dir / "model.onnx").exists():
        assert main(argv) == 0
    frames = [np.zeros((120, 160, 3), np.uint8) for _ in range(20)]
    video = write_video(tmp_path / "hand.mp4", frames, 10)

    def fake_hands(stream):
        for i, _ in enumerate(stream):
            pts = np.full((21, 2), np.nan)
            if i != 4:  # one frame without a hand
                pts[8] = (80 + 30 * np.cos(i / 3), 60 + 30 * np.sin(i / 3))
            yield pts

    monkeypatch.setattr(bridge, "hand_points", fake_hands)
    capsys.readouterr()
    out_video = tmp_path / "out.mp4"
    argv = ["gestures", str(video), "--model", str(run_dir), "--json", "--out", str(out_video)]
    assert main(argv) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert len(lines) == 20 and lines[4]["hand"] is False
    assert [x["label"] is None for x in lines] == [True] * 15 + [False] * 5  # window of 16
    assert out_video.is_file()

    short = write_video(tmp_path / "short.mp4", frames[:5], 10)
    assert main(["gestures", str(short), "--model", str(run_dir)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.endswith("has 5 frame(s), shorter than the window of 16: no gesture recognised")


def test_the_python_verb_matches_the_cli(tiny_run, capsys) -> None:
    import foveal
    from foveal.tasks.sequence.data import read_sequence_csv

    data, run_dir, argv = tiny_run
    if not (run_dir / "model.onnx").exists():
        assert main(argv) == 0
    capsys.readouterr()
    x = read_sequence_csv(data, step_dims=2, steps=16).x[:20]
    preds = foveal.classify_sequences(x, model=run_dir, step_dims=2)
    assert isinstance(preds, foveal.SequencePredictions) and len(preds) == 20
    np.testing.assert_allclose(preds.probs.sum(1), 1.0, rtol=1e-5)
    from_csv = foveal.classify_sequences(data, model=run_dir)
    assert from_csv.labels[:3] == preds.labels[:3]
    sure = preds[preds.scores > 0.0]
    assert sure.labels == preds.labels and sure.rows()[0]["source"] == "sequence 0"


@pytest.mark.parametrize(
    "argv",
    [["sequence", "predict", "x.csv", "--model", "m"], ["gestures", "v.mp4", "--model", "m"]],
)
def test_inference_commands_take_threads_and_device(argv) -> None:
    from foveal.cli import build_parser

    args = build_parser().parse_args([*argv, "--threads", "3", "--device", "auto"])
    assert (args.threads, args.device) == (3, "auto")
