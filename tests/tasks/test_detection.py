"""Detection with the pretrained YOLOX-Nano: real photos, golden decode+NMS, empty and bad
inputs."""

from __future__ import annotations

import numpy as np
import pytest

from foveal.errors import ConfigError, FovealError, ImageError
from foveal.io import BatchReport, load_image
from foveal.ops import batched_nms, letterbox, nms
from foveal.tasks.detect import Detector, anchor_grid, postprocess, resolve_classes


@pytest.fixture(scope="module")
def det() -> Detector:
    return Detector("yolox_nano.coco")


@pytest.mark.parametrize(
    ("photo", "expected"), [("astronaut", "person"), ("chelsea", "cat"), ("coffee", "cup")]
)
def test_real_photos(det: Detector, photos, photo: str, expected: str) -> None:
    img = load_image(photos[photo])
    d = det.predict(photos[photo])
    assert expected in d.names
    top = d[np.asarray(d.names) == expected]
    assert top.scores[0] > 0.5
    h, w = img.shape[:2]
    x1, y1, x2, y2 = top.xyxy[0]
    assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
    # the object is large in each of these photos
    assert (x2 - x1) * (y2 - y1) > 0.2 * w * h
    assert d.to_dict()["detections"][0]["name"] == d.names[0]
    assert list(d.scores) == sorted(d.scores, reverse=True)


def test_astronaut_person_box_matches_the_subject(det: Detector, photos) -> None:
    # The astronaut (Eileen Collins) fills the left ~2/3 of the 512x512 photo, head near the top.
    d = det.predict(photos["astronaut"], classes=["person"])
    assert d.names == ["person"]
    x1, y1, x2, y2 = d.xyxy[0]
    assert x1 < 60 and y1 < 60 and 320 < x2 < 420 and y2 > 480


def test_letterbox_matches_reference_opencv_preprocessing(photos) -> None:
    import cv2

    rgb = load_image(photos["chelsea"])  # 451x300
    ours, r = letterbox(rgb, (416, 416))
    # independent reference: YOLOX's own recipe on a BGR image
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    ratio = min(416 / bgr.shape[0], 416 / bgr.shape[1])
    resized = cv2.resize(
        bgr, (int(bgr.shape[1] * ratio), int(bgr.shape[0] * ratio)), interpolation=cv2.INTER_LINEAR
    )
    ref = np.full((416, 416, 3), 114, np.uint8)
    ref[: resized.shape[0], : resized.shape[1]] = resized
    assert r == pytest.approx(ratio)
    np.testing.assert_array_equal(ours, ref.transpose(2, 0, 1).astype(np.float32))


def _reference_postprocess(raw: np.ndarray, conf: float, iou: float, ratio: float) -> tuple:
    """Independent decode (torch, from the published YOLOX recipe) + torchvision's batched_nms."""
    import torch
    from torchvision.ops import batched_nms as tv_batched_nms

    out = torch.from_numpy(raw.copy()).double()
    grids, strides = [], []
    for s in (8, 16, 32):
        n = 416 // s
        ys, xs = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
        grids.append(torch.stack((xs, ys), 2).view(-1, 2))
        strides.append(torch.full((n * n, 1), s))
    grid = torch.cat(grids).double()
    stride = torch.cat(strides).double()
    xy = (out[:, :2] + grid) * stride
    wh = torch.exp(out[:, 2:4]) * stride
    boxes = torch.cat((xy - wh / 2, xy + wh / 2), 1)
    cls_conf, cls_id = out[:, 5:].max(1)
    score = out[:, 4] * cls_conf
    keep = score >= conf
    boxes, score, cls_id = boxes[keep], score[keep], cls_id[keep]
    k = tv_batched_nms(boxes, score, cls_id, iou)
    return (boxes[k] / ratio).numpy(), score[k].numpy(), cls_id[k].numpy()


@pytest.mark.parametrize("conf", [0.05, 0.25])
def test_decode_and_nms_match_torchvision_reference(det: Detector, shared, conf: float) -> None:
    # a crowded real frame (pedestrians) exercises NMS with many overlapping boxes
    import cv2

    cap = cv2.VideoCapture(str(shared / "data" / "video" / "vtest.avi"))
    ok, frame = cap.read()
    cap.release()
    assert ok
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    tensor, (ratio, _) = det.preprocess(rgb)
    raw = det.forward(tensor[None])[0][0]
    ours = postprocess(
        raw,
        ratio=ratio,
        image_shape=(10_000, 10_000),
        input_size=(416, 416),
        labels=det.labels,
        conf=conf,
        iou=0.45,
    )
    ref_boxes, ref_scores, ref_ids = _reference_postprocess(raw, conf, 0.45, ratio)
    assert len(ours) == len(ref_boxes) > 3
    np.testing.assert_allclose(ours.xyxy, ref_boxes, atol=1e-3)
    np.testing.assert_allclose(ours.scores, ref_scores, atol=1e-6)
    np.testing.assert_array_equal(ours.class_ids, ref_ids)


@pytest.mark.parametrize("n", [40, 400])  # the pairwise-matrix walk and the linear-memory loop
def test_nms_matches_torchvision_on_random_boxes(n: int) -> None:
    import torch
    from torchvision.ops import batched_nms as tv_batched_nms
    from torchvision.ops import nms as tv_nms

    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 200 * n / 400, (n, 2))
    wh = rng.uniform(5, 80, (n, 2))
    boxes = np.concatenate((xy, xy + wh), 1)
    scores = rng.permutation(n) / n + 0.001  # distinct
    classes = rng.integers(0, 5, n)
    for thr in (0.3, 0.5, 0.7):
        ref = tv_nms(torch.from_numpy(boxes), torch.from_numpy(scores), thr).numpy()
        np.testing.assert_array_equal(nms(boxes, scores, thr), ref)
        np.testing.assert_array_equal(nms(boxes, scores, thr, max_det=3), ref[:3])
        ref = tv_batched_nms(
            torch.from_numpy(boxes), torch.from_numpy(scores), torch.from_numpy(classes), thr
        ).numpy()
        np.testing.assert_array_equal(batched_nms(boxes, scores, classes, thr), ref)


def test_anchor_grid_layout() -> None:
    grid, stride = anchor_grid((416, 416))
    assert grid.shape == (52 * 52 + 26 * 26 + 13 * 13, 2) == (3549, 2)
    assert grid[1].tolist() == [1, 0] and grid[52].tolist() == [0, 1]  # x fastest, row-major
    assert stride[0, 0] == 8 and stride[-1, 0] == 32


@pytest.mark.parametrize(
    "image",
    [
        np.full((480, 640, 3), 128, np.uint8),  # flat grey
        np.zeros((1, 1, 3), np.uint8),  # one pixel
        np.full((3, 2000, 3), 255, np.uint8),  # extreme aspect ratio
    ],
    ids=["grey", "1px", "3x2000"],
)
def test_images_without_objects(det: Detector, image: np.ndarray) -> None:
    d = det.predict(image)
    assert len(d) == 0
    assert d.to_dict() == {"model": "yolox_nano.coco", "detections": []}


def test_classes_filter_and_errors(det: Detector, photos) -> None:
    d = det.predict(photos["coffee"], classes="cup")
    assert set(d.names) == {"cup"}
    assert len(det.predict(photos["coffee"], classes=["giraffe"])) == 0
    with pytest.raises(
        ConfigError, match=r"'persn'.*did you mean person.*Valid names: person, bicycle"
    ):
        det.predict(photos["coffee"], classes=["persn"])
    with pytest.raises(ConfigError, match="out of range"):
        resolve_classes([80], det.labels)
    assert resolve_classes("Person, car", det.labels).tolist() == [0, 2]


def test_bad_inputs(det: Detector, tmp_path, photos) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(ImageError, match="broken.jpg"):
        det.predict(bad)
    with pytest.raises(ImageError, match="empty"):
        det.predict(empty)
    with pytest.raises(ConfigError, match="conf"):
        det.predict(photos["coffee"], conf=1.5)
    with pytest.raises(ConfigError, match="iou"):
        det.predict(photos["coffee"], iou=0)
    report = BatchReport()
    out = list(det.predict_batch([photos["coffee"], bad, empty, photos["chelsea"]], report=report))
    assert [o[0].path for o in out] == [photos["coffee"], photos["chelsea"]]
    assert report.ok == 2 and len(report.bad) == 2
    with pytest.raises(ConfigError, match="is a classify model, not a detect model"):
        Detector("mobilenet_v2.imagenet")
    with pytest.raises(FovealError, match="has no foveal metadata"):
        Detector(shared_onnx_without_metadata(tmp_path))


def shared_onnx_without_metadata(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    path = tmp_path / "plain.onnx"
    onnx.save(helper.make_model(graph), str(path))
    return path


def test_api_detect_and_video(photos, shared) -> None:
    import foveal

    d = foveal.detect(photos["chelsea"])
    assert "cat" in d.names
    det = Detector()
    video = shared / "data" / "video" / "vtest.avi"
    frames = list(det.predict_batch(video, every=400, classes=["person"]))
    assert [item.index for item, _ in frames] == [0, 400]
    assert all(len(d) >= 3 and set(d.names) == {"person"} for _, d in frames)
    # the verb streams the same frames
    assert [len(d) for d in foveal.detect(video, classes=["person"], stream=True)][::400][:2] == [
        len(d) for _, d in frames
    ]


def test_corrupt_video(tmp_path) -> None:
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(b"\x00" * 1000)
    with pytest.raises(ImageError, match="clip.mp4"):
        Detector()(bad)


def test_one_detector_serves_threads_with_their_own_thresholds(det: Detector, photos) -> None:
    """One shared detector, two threads, different ``conf`` (and class filters): each call gets
    exactly what a serial call with its own options gets."""
    from concurrent.futures import ThreadPoolExecutor

    calls = [
        (photos[name], {"conf": conf, "classes": classes})
        for name in ("coffee", "astronaut", "chelsea")
        for conf, classes in ((0.05, None), (0.6, None), (0.3, "person,cup"))
    ] * 3
    serial = [det(src, **opts) for src, opts in calls]
    assert len({len(d) for d in serial}) > 1  # the thresholds make a difference
    with ThreadPoolExecutor(2) as pool:
        parallel = list(pool.map(lambda c: det(c[0], **c[1]), calls))
    for a, b in zip(serial, parallel, strict=True):
        assert a.names == b.names
        np.testing.assert_array_equal(a.xyxy, b.xyxy)
        np.testing.assert_array_equal(a.scores, b.scores)
