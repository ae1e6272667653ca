"""Drawing every result type on real photos and pages: pixels change where the boxes, points and
labels are and nowhere far away; the input is never touched; any image source is accepted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from foveal.io import load_image
from foveal.results import Classification, Detections, Faces, TextLines
from foveal.viz import annotate
from foveal.viz.faces import UNKNOWN
from foveal.viz.style import name_color

# what YuNet finds on scikit-image's astronaut (512x512): one face, its five landmarks
ASTRONAUT_BOX = [178.9, 63.2, 269.7, 174.1]
ASTRONAUT_LANDMARKS = [
    [201.5, 105.0],
    [245.2, 104.9],
    [220.7, 127.1],
    [203.9, 145.2],
    [242.4, 145.0],
]


def changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(H, W) mask of the pixels that differ."""
    return (before != after).any(axis=2)


def changed_bounds(before: np.ndarray, after: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(changed(before, after))
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def astronaut_faces(**kwargs) -> Faces:
    return Faces(np.array([ASTRONAUT_BOX]), [0.94], np.array([ASTRONAUT_LANDMARKS]), **kwargs)


@pytest.fixture(scope="module")
def page(shared: Path) -> tuple[np.ndarray, TextLines]:
    """tesseract's phototest page and the lines foveal reads on it."""
    import foveal

    image = load_image(shared / "data/ocr/pages/phototest.tif")
    return image, foveal.read_text(image)


def test_classification_panel_sits_top_left(photos) -> None:
    img = load_image(photos["chelsea"])
    before = img.copy()
    c = Classification([285, 282, 281], [0.72, 0.15, 0.13], ["Egyptian cat", "tiger cat", "tabby"])
    out = annotate(img, c)
    np.testing.assert_array_equal(img, before)
    assert out.shape == img.shape and out.dtype == np.uint8
    x1, y1, x2, y2 = changed_bounds(img, out)
    h, w = img.shape[:2]
    assert (x1, y1) == (0, 0) and x2 < w / 2 and y2 < h / 3
    # the panel darkens the photo behind it (white text on a dark box)
    assert out[y2 // 2, x2 - 2].mean() < img[y2 // 2, x2 - 2].mean()
    # fewer classes, shorter panel; nothing to show, nothing drawn
    assert changed_bounds(img, annotate(img, c, top_k=1))[3] < y2
    np.testing.assert_array_equal(annotate(img, c[[]]), img)


def test_detections_on_a_photo(photos) -> None:
    img = load_image(photos["coffee"])
    d = Detections(np.array([[163, 17, 420, 294]]), [0.9], [41], ["cup"])
    out = annotate(img, d)
    mask = changed(img, out)
    assert mask[150, 162:166].any() and mask[292:297, 300].any()  # left and bottom edges
    assert not mask[60:280, 175:410].any()  # inside the box, below its label
    assert not mask[:, 430:].any() and not mask[300:].any()  # far away
    x1, y1, _, _ = changed_bounds(img, out)
    assert x1 >= 160 and y1 >= 0  # the label stays inside the image above the box


def test_faces_box_landmarks_and_nothing_else(photos) -> None:
    img = load_image(photos["astronaut"])
    before = img.copy()
    out = annotate(img, astronaut_faces())
    np.testing.assert_array_equal(img, before)
    mask = changed(img, out)
    for x, y in ASTRONAUT_LANDMARKS:
        assert mask[round(y), round(x)], (x, y)
    assert mask[120, 177:182].any()  # the box's left edge
    assert not mask[120, 188] and not mask[160, 225]  # cheek and chin between the dots
    x1, y1, x2, y2 = changed_bounds(img, out)
    assert 176 <= x1 and x2 <= 272 and y2 <= 177 and y1 >= 63 - 30  # box, dots, label above
    no_dots = changed(img, annotate(img, astronaut_faces(), show_landmarks=False))
    assert not no_dots[105, 201] and not no_dots[127, 221]


def test_identified_faces_carry_their_names_colour(photos) -> None:
    img = load_image(photos["astronaut"])
    named = annotate(img, astronaut_faces(names=["eileen"], distances=[0.31]))
    unknown = annotate(img, astronaut_faces(names=["unknown"], distances=[0.8]))
    plain = annotate(img, astronaut_faces())
    edge = (slice(110, 130), slice(177, 182))
    colours = {tuple(p) for p in named[edge].reshape(-1, 3)}
    assert name_color("eileen") in colours
    assert UNKNOWN in {tuple(p) for p in unknown[edge].reshape(-1, 3)}
    # the label (above the box) differs: "eileen 0.31" is not "face 0.94"
    assert changed(plain[30:64], named[30:64]).any()
    assert (named == annotate(img, astronaut_faces(names=["eileen"], distances=[0.31]))).all()


def test_text_lines_polygons_and_legible_text(page) -> None:
    img, lines = page
    assert len(lines) >= 8 and lines.texts[0].startswith("This is a lot of 12 point text")
    before = img.copy()
    out = annotate(img, lines)
    np.testing.assert_array_equal(img, before)
    assert out.shape == img.shape and out.dtype == np.uint8
    mask = changed(img, out)
    x1, y1, x2, y2 = (
        round(float(v)) for v in (*lines.polygons[0].min(0), *lines.polygons[0].max(0))
    )
    assert mask[(y1 + y2) // 2, x1 - 1 : x1 + 2].any()  # the first line's left edge
    every = np.concatenate(lines.polygons)
    low = round(float(every[:, 1].max())) + 5
    assert not mask[low:].any()  # the blank bottom of the page stays blank
    # the first line has free space above it: its text goes there as dark letters on a light box
    above = out[y1 - 30 : y1 - 2, x1 : x1 + 200]
    assert changed(img[y1 - 30 : y1 - 2, x1 : x1 + 200], above).any()
    assert (above.mean(axis=2) < 100).any() and (above.mean(axis=2) > 200).any()
    polys_only = annotate(img, lines, show_text=False)
    assert not changed(
        img[y1 - 30 : y1 - 4, x1 : x1 + 200], polys_only[y1 - 30 : y1 - 4, x1 : x1 + 200]
    ).any()


def test_text_on_a_dark_background_stays_legible(page) -> None:
    img, lines = page
    dark = (255 - img).copy()  # white letters on black
    out = annotate(dark, lines[[0]])
    y1 = round(float(lines.polygons[0][:, 1].min()))
    x1 = round(float(lines.polygons[0][:, 0].min()))
    label = out[max(0, y1 - 30) : y1 - 2, x1 : x1 + 200].mean(axis=2)
    assert (label > 200).mean() > 0.3 and (label < 100).any()  # light box, dark letters


@pytest.mark.parametrize("kind", ["path", "bytes", "pil", "array", "gray"])
def test_any_source(photos, kind: str) -> None:
    path = photos["astronaut"]
    ref = annotate(path, astronaut_faces())
    source = {
        "path": str(path),
        "bytes": path.read_bytes(),
        "pil": Image.open(path),
        "array": load_image(path),
        "gray": load_image(path).mean(axis=2).astype(np.uint8),
    }[kind]
    out = annotate(source, astronaut_faces())
    assert out.shape == (512, 512, 3) and out.dtype == np.uint8
    if kind != "gray":
        np.testing.assert_array_equal(out, ref)
    else:
        assert changed(np.repeat(source[..., None], 3, axis=2), out)[105, 201]


def test_plot_and_save_round_trip(photos, tmp_path: Path) -> None:
    faces = astronaut_faces(names=["eileen"])
    drawn = faces.plot(photos["astronaut"])
    np.testing.assert_array_equal(drawn, annotate(photos["astronaut"], faces))
    png = faces.save(tmp_path / "out" / "astronaut.png", photos["astronaut"])
    assert png == tmp_path / "out" / "astronaut.png"
    np.testing.assert_array_equal(load_image(png), drawn)
    jpg = Detections.empty().save(tmp_path / "coffee.jpg", photos["coffee"])
    assert Image.open(jpg).format == "JPEG" and load_image(jpg).shape == (400, 600, 3)
    # saving again replaces the file whole and leaves no temporary file beside it
    faces.save(png, photos["astronaut"], show_landmarks=False)
    assert changed(drawn, load_image(png)).any()
    assert sorted(p.name for p in png.parent.iterdir()) == ["astronaut.png"]


def test_save_refuses_a_suffix_that_is_not_an_image(photos, tmp_path: Path) -> None:
    from foveal.errors import ConfigError

    with pytest.raises(ConfigError, match=r"'faces\.txt'.*use \.jpg, \.png or \.webp"):
        astronaut_faces().save(tmp_path / "faces.txt", photos["astronaut"])
    assert not any(tmp_path.iterdir())


def test_real_pipeline_plot(photos) -> None:
    """detect_faces -> plot: the model's own landmarks are drawn."""
    import foveal

    faces = foveal.detect_faces(photos["astronaut"])
    img = load_image(photos["astronaut"])
    mask = changed(img, faces.plot(img))
    assert len(faces) == 1
    for x, y in faces.landmarks[0]:
        assert mask[round(float(y)), round(float(x))]


def test_a_turned_line_gets_its_text_along_it_at_its_own_size() -> None:
    """A line of a page lying on its side (its polygon runs bottom to top): the label is drawn
    along the line, sized by the line's height (40 px), not by its length (400 px)."""
    canvas = np.full((500, 300, 3), 255, np.uint8)
    # clockwise from the text's top-left: the text runs upwards, its top edge on the left
    poly = np.array([[[100, 450], [100, 50], [140, 50], [140, 450]]], np.float32)
    lines = TextLines(polygons=poly, texts=["a line lying on its side"], scores=[0.99])
    out = annotate(canvas, lines)
    x1, y1, x2, y2 = changed_bounds(canvas, out)
    assert y2 - y1 > 3 * (x2 - x1)  # tall and narrow: the text runs along the line
    assert x2 - x1 < 80  # about the line's 40-px height, not a 400-px font
    assert changed(canvas[100:400, 108:132], out[100:400, 108:132]).mean() > 0.5  # over the line
