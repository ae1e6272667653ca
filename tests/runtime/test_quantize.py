"""int8: a real static QDQ model that agrees with fp32 on photos it was not calibrated on,
cached by content, and one clear line for what it cannot do."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest

from foveal.cli import main
from foveal.errors import ConfigError
from foveal.runtime import read_meta
from foveal.runtime.quantize import calibration_files, int8_file
from foveal.tasks.classify import Classifier

HYMENOPTERA = ("data", "classification", "hymenoptera", "train")


@pytest.fixture(scope="module")
def split(shared, tmp_path_factory) -> tuple[Path, list[Path]]:
    """A calibration folder of 12 ant and bee photos, and 16 other photos of the same set."""
    photos = sorted(shared.joinpath(*HYMENOPTERA).rglob("*.jpg"))
    folder = tmp_path_factory.mktemp("calibration")
    for p in photos[0::20][:12]:
        shutil.copy(p, folder / f"{p.parent.name}_{p.name}")
    calibrated = {p.name for p in photos[0::20][:12]}
    held_out = [p for p in photos[7::15] if p.name not in calibrated][:16]
    return folder, held_out


@pytest.fixture(scope="module")
def int8_classifier(split) -> Classifier:
    return Classifier(precision="int8", calibrate=split[0])


def test_int8_file_is_static_qdq_with_int8_weights(int8_classifier) -> None:
    path = int8_classifier.model.path
    assert path.parent.name == "int8" and Path(os.environ["FOVEAL_HOME"]) in path.parents
    graph = onnx.load(str(path)).graph
    ops = {n.op_type for n in graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "Conv"} <= ops
    assert "ConvInteger" not in ops and "DynamicQuantizeLinear" not in ops  # never dynamic
    int8_weights = [t for t in graph.initializer if t.data_type == onnx.TensorProto.INT8]
    assert len(int8_weights) >= 50  # every conv of MobileNetV2 (52), per channel
    assert int8_classifier.precision == "int8" and int8_classifier.labels[309] == "bee"


def test_int8_agrees_with_fp32_on_photos_not_used_for_calibration(int8_classifier, split) -> None:
    fp32 = Classifier()
    held_out = split[1]
    a = [fp32(p, top_k=1).class_ids[0] for p in held_out]
    b = [int8_classifier(p, top_k=1).class_ids[0] for p in held_out]
    agree = np.mean(np.asarray(a) == np.asarray(b))
    assert agree >= 14 / 16, (a, b)
    # and the probabilities stay close where both agree
    p32 = fp32(held_out[0], top_k=1).scores[0]
    p8 = int8_classifier(held_out[0], top_k=1).scores[0]
    assert abs(p32 - p8) < 0.15


def test_int8_file_is_cached_by_model_and_calibration_content(int8_classifier, split) -> None:
    path = int8_classifier.model.path
    stamp = path.stat().st_mtime_ns
    again = Classifier(precision="int8", calibrate=split[0])
    assert again.model.path == path and path.stat().st_mtime_ns == stamp
    files = calibration_files(split[0])
    assert int8_file(Classifier().model.path, files) == path
    assert int8_file(Classifier().model.path, files[:-1]) != path  # another set, another file


def test_bad_precision_and_calibration_are_one_line(split, tmp_path) -> None:
    with pytest.raises(ConfigError, match="precision 'fp16' is not known; choose one of fp32"):
        Classifier(precision="fp16")
    with pytest.raises(ConfigError, match="does not exist"):
        Classifier(precision="int8", calibrate=tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="holds no images"):
        Classifier(precision="int8", calibrate=tmp_path)
    with pytest.raises(ConfigError, match="runs with ONNX Runtime"):
        Classifier(backend="torch", precision="int8")


def test_calibration_images_go_with_int8_only(split, photos, capsys) -> None:
    import foveal

    with pytest.raises(ConfigError, match="go with int8; add --precision int8"):
        Classifier(calibrate=split[0])
    with pytest.raises(ConfigError, match="go with int8"):
        foveal.classify(photos["coffee"], calibrate=split[0])
    assert main(["classify", str(photos["coffee"]), "--calibrate", str(split[0])]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "go with int8" in err


def test_a_model_already_int8_runs_as_it_is(int8_classifier, photos) -> None:
    """Asking int8 of an int8 file quantises nothing (a second pass would not even load)."""
    path = int8_classifier.model.path
    again = Classifier(path, precision="int8")
    assert again.model.path == path
    assert again(photos["coffee"], top_k=1).names == ["espresso"]


def test_the_int8_session_keeps_the_fp32_thread_plan(int8_classifier, split) -> None:
    """The int8 twin runs with the plan the fp32 session got, and the reason it got it."""
    clf = Classifier()
    plan = clf.model.runner.plan
    clf.use_precision("int8", split[0])  # the file the fixture quantised, from the cache
    assert clf.model.path == int8_classifier.model.path
    assert clf.model.runner.plan is plan


def test_verb_and_cli_take_precision(int8_classifier, split, photos, tmp_path, capsys) -> None:
    import foveal

    r = foveal.classify(photos["coffee"], top_k=1, precision="int8", calibrate=split[0])
    assert r.names == ["espresso"]
    capsys.readouterr()
    # quantising now (default calibration set): stdout keeps only the results, as JSON lines
    assert main(["classify", str(photos["coffee"]), "--precision", "int8", "--json"]) == 0
    captured = capsys.readouterr()
    assert [json.loads(line)["top"][0]["name"] for line in captured.out.splitlines()] == [
        "espresso"
    ]
    assert "quantising" in captured.err
    out = tmp_path / "m8.onnx"
    argv = ["export", "mobilenet_v2.imagenet", "-o", str(out), "--int8", "--calibrate"]
    assert main([*argv, str(split[0])]) == 0
    assert out.read_bytes() == int8_classifier.model.path.read_bytes()
    assert main(["classify", str(photos["coffee"]), "--model", str(out), "--json"]) == 0
    assert "espresso" in capsys.readouterr().out
    assert main(["export", "dlib_resnet.v1", "-o", str(tmp_path / "d.onnx"), "--int8"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--int8 is offered for classify" in err
    assert "foveal faces ... --precision int8" in err


@pytest.fixture(scope="module")
def street(shared, tmp_path_factory) -> tuple[Path, list[np.ndarray]]:
    """8 pedestrian frames of vtest.avi written as a calibration folder, 6 other frames held out."""
    import cv2

    cap = cv2.VideoCapture(str(shared / "data" / "video" / "vtest.avi"))
    frames = []
    for index in range(0, 700, 50):
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = cap.read()
        assert ok
        frames.append(frame)
    cap.release()
    folder = tmp_path_factory.mktemp("street")
    for i, frame in enumerate(frames[::2][:8]):
        cv2.imwrite(str(folder / f"frame{i:02d}.png"), frame)
    held_out = [f[..., ::-1].copy() for f in frames[1::2][:6]]
    return folder, held_out


def test_int8_detector_keeps_the_boxes_of_frames_it_was_not_calibrated_on(
    street, tmp_path, capsys
) -> None:
    from foveal.ops import box_iou
    from foveal.tasks.detect import Detector

    folder, held_out = street
    fp32, int8 = Detector(), Detector(precision="int8", calibrate=folder)
    assert int8.precision == "int8" and int8.model.path.parent.name == "int8"
    assert int8.model.path.stat().st_size < fp32.model.path.stat().st_size / 2
    # the detection recipe: the first 23 convolutions (stem, first two CSP stages) stay fp32,
    # the rest of the backbone and the neck are int8
    graph = onnx.load(str(int8.model.path)).graph
    made_by = {out: node.op_type for node in graph.node for out in node.output}
    convs = [n for n in graph.node if n.op_type == "Conv"]
    quantised = [made_by.get(c.input[1]) == "DequantizeLinear" for c in convs]
    assert not any(quantised[:23]) and sum(quantised) >= 70, sum(quantised)
    found = kept = 0
    for frame in held_out:
        a, b = fp32(frame, classes=["person"]), int8(frame, classes=["person"])
        found += len(a)
        if len(a) and len(b):
            kept += int(np.sum(box_iou(a.xyxy, b.xyxy).max(axis=1) >= 0.5))
    assert found >= 30  # a busy street: several people in every frame
    assert kept >= 0.85 * found, (kept, found)
    capsys.readouterr()
    image = tmp_path / "held_out.png"
    import cv2

    cv2.imwrite(str(image), held_out[0][..., ::-1])
    argv = ["detect", str(image), "--json", "--classes", "person", "--precision", "int8"]
    assert main([*argv, "--calibrate", str(folder)]) == 0
    boxes = json.loads(capsys.readouterr().out.splitlines()[0])["detections"]
    assert len(boxes) == len(int8(image, classes=["person"]))
    out = tmp_path / "yolox8.onnx"
    argv = ["export", "yolox_nano.coco", "-o", str(out), "--int8", "--calibrate", str(folder)]
    assert main(argv) == 0
    assert read_meta(out).task == "detect"  # the zoo's raw file has no metadata; the export has
    capsys.readouterr()
    argv = ["detect", str(image), "--json", "--classes", "person", "--model", str(out)]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["detections"] == boxes
    with pytest.raises(ConfigError, match="runs with ONNX Runtime"):
        Detector(backend="torch", precision="int8")


def test_int8_face_embeddings_keep_verification_decisions(shared, tmp_path, capsys) -> None:
    """Calibrated on the faces of train/, int8 decides same/different person as fp32 does on
    every pair that holds a face of the other photos."""
    from foveal.tasks.faces import FaceRecognizer

    people = shared / "data" / "faces" / "people"
    fp32 = FaceRecognizer()
    int8 = FaceRecognizer(
        fp32.detector, fp32.embedder, precision="int8", calibrate=people / "train"
    )
    assert int8.embedder.path.parent.name == "int8" and fp32.embedder.path.parent.name != "int8"
    photos = sorted((people / "test").glob("*.jpg")) + [people / "biden.jpg", people / "obama.jpg"]
    calib = sorted((people / "train").rglob("*.jpg"))[:4]
    e32 = np.concatenate([fp32(p).embeddings for p in [*calib, *photos]])
    e8 = np.concatenate([int8(p).embeddings for p in [*calib, *photos]])
    assert len(e32) >= 10
    d32 = np.linalg.norm(e32[:, None] - e32[None], axis=-1)
    d8 = np.linalg.norm(e8[:, None] - e8[None], axis=-1)
    threshold = fp32.embedder.threshold
    assert np.array_equal(d32 < threshold, d8 < threshold)
    assert np.abs(d32 - d8).max() < 0.05
    assert (
        main(
            [
                "faces",
                "verify",
                str(people / "obama.jpg"),
                str(people / "obama2.jpg"),
                "--precision",
                "int8",
                "--calibrate",
                str(people / "train"),
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.startswith("same person")
    # the identify verb takes the same precision: an int8 embedder, the same answer as fp32
    import foveal

    named = foveal.identify(
        people / "obama.jpg",
        gallery=tmp_path / "people.db",
        precision="int8",
        calibrate=people / "train",
    )
    assert named.names == ["unknown"]  # an empty gallery
    assert "quantising" not in capsys.readouterr().err  # the cached int8 file was reused


def test_calibration_images_without_faces_are_one_line(shared, split) -> None:
    """An embedder calibrates on the faces of its images: ant and bee photos give it none."""
    from foveal.tasks.faces import FaceRecognizer

    with pytest.raises(ConfigError, match="nothing to calibrate on .* no faces"):
        FaceRecognizer(precision="int8", calibrate=split[0])


def test_an_unreadable_calibration_image_is_skipped_and_said(split, tmp_path, capsys) -> None:
    from foveal.runtime.quantize import readable_images

    good = sorted(split[0].iterdir())[:2]
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(good[0].read_bytes()[:400])
    images = list(readable_images([good[0], broken, good[1]]))
    assert len(images) == 2 and all(i.ndim == 3 for i in images)
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("foveal: calibration skips") and "broken" in err
