"""OCR building blocks: geometry, DB post-processing, CTC decoding, width batching, layout."""

from __future__ import annotations

import numpy as np
import pytest

from foveal.ops import ctc_greedy_decode
from foveal.tasks.ocr.det import DBParams, db_boxes, det_input_size, unclip
from foveal.tasks.ocr.geometry import crop_quad, order_clockwise, rotate_points, unrotate_points
from foveal.tasks.ocr.layout import group_lines, paragraphs, reading_order
from foveal.tasks.ocr.rec import width_batches


def test_order_clockwise_any_input_order() -> None:
    pts = np.array([[0, 0], [10, 0], [10, 5], [0, 5]], np.float32)
    for perm in ([2, 0, 3, 1], [3, 2, 1, 0], [1, 3, 0, 2]):
        assert order_clockwise(pts[perm]).tolist() == pts.tolist()


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_rotate_points_matches_np_rot90(k) -> None:
    img = np.zeros((30, 50), np.uint8)
    img[5, 40] = 1  # pixel (x=40, y=5); its centre is (40.5, 5.5)
    rot = np.rot90(img, k=-k)
    y, x = np.argwhere(rot)[0]
    p = rotate_points(np.array([[40.5, 5.5]]), k, img.shape)
    assert p[0].tolist() == [x + 0.5, y + 0.5]
    assert unrotate_points(p, k, img.shape)[0].tolist() == [40.5, 5.5]


def test_crop_quad_axis_aligned_is_a_slice() -> None:
    img = (np.arange(40 * 60) % 251).astype(np.uint8).reshape(40, 60)
    quad = np.array([[10, 5], [30, 5], [30, 15], [10, 15]], np.float32)
    crop = crop_quad(img, quad)
    assert crop.shape == (10, 20)
    np.testing.assert_array_equal(crop, img[5:15, 10:30])


def test_det_input_size() -> None:
    assert det_input_size(480, 640) == (480, 640)
    assert det_input_size(1000, 30000, max_side=2000) == (64, 1984)
    assert det_input_size(10, 10) == (32, 32)


def test_unclip_grows_by_area_over_perimeter() -> None:
    quad = np.array([[0, 0], [100, 0], [100, 20], [0, 20]], np.float32)
    out = unclip(quad, 1.5)  # distance = 2000 * 1.5 / 240 = 12.5
    assert out[:, 0].min() == pytest.approx(-12.5, abs=1)
    assert out[:, 1].max() == pytest.approx(32.5, abs=1)


def test_db_boxes_finds_two_rectangles() -> None:
    prob = np.zeros((100, 200), np.float32)
    prob[20:30, 10:110] = 0.9
    prob[60:70, 50:150] = 0.8
    prob[90:91, 0:2] = 0.9  # a speck: too small
    quads, scores = db_boxes(prob, DBParams())
    assert len(quads) == 2
    order = np.argsort(quads[:, 0, 1])
    q = quads[order]
    # each kernel grown by about area * 1.6 / perimeter = 1000 * 1.6 / 220 ~ 7.3 px on every side
    assert q[0, 0, 0] == pytest.approx(10 - 7.3, abs=1.5)
    assert q[0, 2, 1] == pytest.approx(30 + 7.3, abs=1.5)
    # score: mean probability inside the box around the (2x2-dilated) region, 11 x 101 pixels
    assert scores[order].tolist() == pytest.approx([0.9 * 1000 / 1111, 0.8 * 1000 / 1111], abs=1e-3)


def test_ctc_greedy_decode_merges_repeats_and_drops_blanks() -> None:
    charset = ["<blank>", "a", "b", " "]
    seq = [1, 1, 0, 1, 2, 2, 0, 0, 3, 2]  # a a - a b b - - ' ' b -> "aab b"
    probs = np.full((1, len(seq), 4), 0.01, np.float32)
    probs[0, np.arange(len(seq)), seq] = 0.97
    ((text, score),) = ctc_greedy_decode(probs, charset)
    assert text == "aab b"
    assert score == pytest.approx(0.97)
    ((text, _),) = ctc_greedy_decode(probs, charset, lengths=[4])
    assert text == "aa"


def test_width_batches_cover_every_index_once() -> None:
    rng = np.random.default_rng(0)
    widths = rng.integers(20, 2000, 100).tolist()
    batches = width_batches(widths)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(100))
    for b in batches:
        ws = [widths[i] for i in b]
        assert len(b) == 1 or sum(ws) >= 0.65 * max(ws) * len(b)


def test_layout_two_columns_and_paragraphs() -> None:
    # two columns of three lines each; a title across both
    boxes = [[0, 0, 400, 30]]
    for col in (0, 220):
        for row in range(3):
            y = 60 + row * 35
            boxes.append([col, y, col + 180, y + 30])
    boxes = np.asarray(boxes, np.float32)
    order = reading_order(boxes)
    assert order == [0, 1, 2, 3, 4, 5, 6]
    para = paragraphs(boxes, order).tolist()
    assert para[0] != para[1]  # title
    assert para[1] == para[2] == para[3] and para[4] == para[5] == para[6] and para[3] != para[4]


def test_group_lines_joins_segments_of_one_line() -> None:
    boxes = np.array(
        [[300, 2, 400, 32], [0, 0, 120, 30], [140, 1, 280, 31], [0, 40, 200, 70]], np.float32
    )
    assert group_lines(boxes) == [[1, 2, 0], [3]]


def test_models_open_through_the_one_resolver(tmp_path) -> None:
    from foveal.errors import ConfigError, ModelFileError
    from foveal.tasks.ocr.rec import TextRecognizer

    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelFileError):
        TextRecognizer(junk)
    with pytest.raises(ModelFileError):
        TextRecognizer(tmp_path / "missing.onnx")
    with pytest.raises(ConfigError):
        TextRecognizer("ppocr_det.v6_small")  # a detector is not a recognizer
