"""Face recognition end to end on shared/data/faces/people: enrol train/, identify test/.

Ground truth is the folder and file names of the data set (press photos of known people)."""

from __future__ import annotations

import json
from collections import Counter

import cv2
import numpy as np
import pytest

import foveal
from foveal.gallery import Gallery
from foveal.io import load_image
from foveal.tasks.faces import (
    FaceRecognizer,
    ManyFacesError,
    NoFaceError,
    enroll_images,
    identify_faces,
    verify_images,
)

EXPECTED = {
    "alex_lacamoire1.jpg": ["alex_lacamoire"],
    "johnsnow_test1.jpg": ["kit_harington"],
    "kit_with_rose.jpg": ["kit_harington", "rose_leslie"],
    "obama1.jpg": ["obama"],
    # the girl at the bottom right is not enrolled: the unknown person
    "obama_and_biden.jpg": ["biden", "obama", "unknown"],
}


@pytest.fixture(scope="module")
def rec():
    return FaceRecognizer("yunet.2023mar")


@pytest.fixture(scope="module")
def people(shared):
    return shared / "data/faces/people"


def _enrol_train(rec, people, path):
    g = Gallery(path)
    for d in sorted((people / "train").iterdir()):
        # every training photo holds one face at the detector's default threshold (biden2.jpg
        # included: the painting behind him scores under YuNet's 0.8)
        enroll_images(g, rec, d.name, sorted(d.iterdir()))
    return g


@pytest.fixture(scope="module")
def gallery(rec, people, tmp_path_factory):
    g = _enrol_train(rec, people, tmp_path_factory.mktemp("gal") / "faces.db")
    yield g
    g.close()


def test_identify_test_folder(rec, gallery, people):
    _check_test_folder(rec, gallery, people)


def test_identify_test_folder_with_centerface(people, tmp_path):
    rec = FaceRecognizer("centerface.wider")
    with _enrol_train(rec, people, tmp_path / "cf.db") as g:
        _check_test_folder(rec, g, people)


def _check_test_folder(rec, gallery, people):
    assert {p.name: p.faces for p in gallery.people()} == {
        "alex_lacamoire": 1,
        "biden": 2,
        "kit_harington": 2,
        "obama": 2,
        "rose_leslie": 2,
    }
    for name, expected in EXPECTED.items():
        faces = identify_faces(rec, gallery, people / "test" / name)
        assert sorted(faces.names) == expected, (name, faces.names, faces.distances)
        known = np.array([n != "unknown" for n in faces.names])
        assert (faces.distances[known] < 0.6).all() and (faces.distances[~known] >= 0.6).all()


def test_api_identify_default_gallery(people, rec):
    from foveal.gallery import default_gallery_path

    with Gallery(default_gallery_path()) as g:
        enroll_images(g, rec, "obama", [people / "train/obama/obama.jpg"])
        enroll_images(g, rec, "biden", [people / "train/biden/biden.jpg"])
    faces = foveal.identify(people / "test/obama_and_biden.jpg")
    assert Counter(faces.names) == Counter(["obama", "biden", "unknown"])
    d = faces.to_dict()
    assert {f["name"] for f in d["faces"]} == {"obama", "biden", "unknown"} and "distance" in d[
        "faces"
    ][0]


def test_api_identify_sees_later_enrolments(people, rec, tmp_path):
    """The shared identify predictor reads the gallery at each call: enrol, then identify again."""
    db = tmp_path / "later.db"
    kit = people / "test/kit_with_rose.jpg"
    assert foveal.identify(kit, gallery=db).names == ["unknown", "unknown"]
    with Gallery(db) as g:
        enroll_images(g, rec, "rose_leslie", [people / "train/rose_leslie/img1.jpg"])
    assert sorted(foveal.identify(kit, gallery=db).names) == ["rose_leslie", "unknown"]
    with Gallery(db) as g:
        enroll_images(g, rec, "kit_harington", sorted((people / "train/kit_harington").iterdir()))
    many = foveal.identify([kit, people / "test/johnsnow_test1.jpg"], gallery=db, threshold=0.6)
    assert [sorted(f.names) for f in many] == [["kit_harington", "rose_leslie"], ["kit_harington"]]
    from foveal.errors import ConfigError

    with pytest.raises(ConfigError, match="threshold"):
        foveal.identify(kit, gallery=db, threshold=-1)


def test_embedder_files_need_foveal_face_metadata(tmp_path, shared, people):
    """--embedder takes foveal face_embed models only: a foreign ONNX file is refused in one
    line."""
    from foveal.cli import main
    from foveal.errors import ModelFileError
    from foveal.tasks.faces import OnnxEmbedder

    foreign = shared / "weights/face_detection_yunet_2023mar.onnx"
    with pytest.raises(ModelFileError, match="no foveal metadata") as err:
        OnnxEmbedder(foreign)
    assert "\n" not in str(err.value)
    assert (
        main(
            [
                "faces",
                "verify",
                str(people / "obama.jpg"),
                str(people / "obama3.jpg"),
                "--embedder",
                str(foreign),
            ]
        )
        == 2
    )


def test_enrol_errors(rec, people, photos, tmp_path):
    with Gallery(tmp_path / "g.db") as g:
        with pytest.raises(NoFaceError, match="no face found"):
            enroll_images(g, rec, "coffee", [photos["coffee"]])
        with pytest.raises(ManyFacesError, match="--largest") as many:
            enroll_images(g, rec, "kit", [people / "test/kit_with_rose.jpg"])
        assert "(#1 [" in str(many.value) and ", #2 [" in str(many.value)
        # an atomic enrolment: a bad image in the list enrols nothing
        with pytest.raises(NoFaceError):
            enroll_images(g, rec, "obama", [people / "obama.jpg", photos["coffee"]])
        assert len(g) == 0
        # the explicit choice: faces in score order (choose=0 is face #1); Rose scores best
        faces = rec(people / "test/kit_with_rose.jpg")
        assert (np.diff(faces.scores) <= 0).all()
        enroll_images(g, rec, "rose_leslie", [people / "test/kit_with_rose.jpg"], choose=0)
        faces = identify_faces(rec, g, people / "train/rose_leslie/img1.jpg")
        assert faces.names == ["rose_leslie"]


def test_verify(rec, people):
    same = verify_images(rec, people / "obama.jpg", people / "obama3.jpg")
    other = verify_images(rec, people / "obama.jpg", people / "biden.jpg")
    assert same.same and not other.same
    assert same.distance < 0.5 < 0.7 < other.distance


def test_bad_inputs_grayscale_tiny_huge_partial(rec, gallery, people):
    img = load_image(people / "test/obama1.jpg")
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    assert identify_faces(rec, gallery, gray).names == ["obama"]
    tiny = cv2.resize(img, (img.shape[1] // 30, img.shape[0] // 30), interpolation=cv2.INTER_AREA)
    assert len(identify_faces(rec, gallery, tiny)) == 0  # faces under 20 px are not embedded
    huge = cv2.resize(
        img, (img.shape[1] * 4, img.shape[0] * 4), interpolation=cv2.INTER_LINEAR
    )  # 24 MP
    assert identify_faces(rec, gallery, huge).names == ["obama"]
    assert identify_faces(rec, gallery, people / "32bit.png").names == ["obama"]  # RGBA PNG
    partial = identify_faces(rec, gallery, people / "obama_partial_face.jpg")
    assert partial.names in (["obama"], [])


def test_alignment_matches_dlibs_own_chip(rec, people):
    """dlib's pipeline (its 5-point shape predictor + get_face_chip) is the reference: the
    descriptor
    of foveal's chip must stay far inside the same-person threshold of the descriptor of dlib's."""
    import dlib

    from foveal.tasks.faces.embed import packaged_path

    sp = dlib.shape_predictor(
        str(packaged_path("face-recognition-models", "shape_predictor_5_face_landmarks.dat"))
    )
    net = dlib.face_recognition_model_v1(
        str(packaged_path("face-recognition-models", "dlib_face_recognition_resnet_model_v1.dat"))
    )
    dlib_det = dlib.get_frontal_face_detector()
    dists = []
    for name in ["obama.jpg", "test/alex_lacamoire1.jpg"]:
        img = load_image(people / name)
        (r,) = dlib_det(img, 0)
        ref_chip = dlib.get_face_chip(img, sp(img, r), size=150, padding=0.25)
        ref = np.asarray(net.compute_face_descriptor(ref_chip))
        ours = rec(img).embeddings[0]
        dists.append(float(np.linalg.norm(ours - ref)))
    assert max(dists) < 0.3, dists


def test_cli_round_trip(people, tmp_path, capsys):
    from foveal.cli import main

    db = str(tmp_path / "cli.db")
    assert main(["faces", "enroll", "obama", str(people / "train/obama"), "--gallery", db]) == 0
    # a plain portrait enrols with the defaults (the painting behind him is no face)
    assert (
        main(["faces", "enroll", "biden", str(people / "train/biden/biden2.jpg"), "--gallery", db])
        == 0
    )
    capsys.readouterr()
    # two faces and no choice: refused, the faces listed as #1, #2
    kit = str(people / "test/kit_with_rose.jpg")
    assert main(["faces", "enroll", "kit", kit, "--gallery", db]) == 2
    err = capsys.readouterr().err
    assert "2 faces found (#1 [" in err and ", #2 [" in err and "--index N" in err
    assert (
        main(["faces", "enroll", "biden", str(people / "biden.jpg"), "--new", "--gallery", db]) == 2
    )
    capsys.readouterr()
    assert main(["faces", "list", "--json", "--gallery", db]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert {p["name"]: p["faces"] for p in listing["people"]} == {"obama": 2, "biden": 1}
    assert (
        main(
            [
                "faces",
                "identify",
                str(people / "test/obama_and_biden.jpg"),
                "--json",
                "--gallery",
                db,
            ]
        )
        == 0
    )
    rec_out = json.loads(capsys.readouterr().out)
    assert sorted(f["name"] for f in rec_out["faces"]) == ["biden", "obama", "unknown"]
    assert (
        main(["faces", "verify", str(people / "obama.jpg"), str(people / "obama3.jpg"), "--json"])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["same"] is True
    assert main(["faces", "remove", "obama", "--gallery", db]) == 0
    assert main(["faces", "remove", "obama", "--gallery", db]) == 2
    assert (
        main(["faces", "cluster", str(people / "train/obama"), str(people / "biden.jpg"), "--json"])
        == 0
    )
    clusters = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    assert [len(c["faces"]) for c in clusters] == [2, 1]


def test_onnx_conversion_matches_dlib(rec, people):
    """The default embedder runs dlib's weights converted to ONNX: descriptors must equal
    dlib's own."""
    import dlib

    from foveal.tasks.faces import DlibEmbedder

    assert rec.embedder.backend == "onnx"
    ref = DlibEmbedder(backend="dlib")
    chips = []
    for name in ["obama.jpg", "test/kit_with_rose.jpg"]:
        img = load_image(people / name)
        chips += rec.embedder.chips(img, rec.detector(img))
    assert len(chips) == 3
    ours = rec.embedder.embed_chips(chips)
    theirs = np.asarray(
        [np.asarray(v) for v in ref._net.compute_face_descriptor(chips)], np.float32
    )
    assert isinstance(ref._net, dlib.face_recognition_model_v1)
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
    # the converted file carries its metadata: as --embedder FILE.onnx it embeds the same way
    from foveal.tasks.faces import OnnxEmbedder

    as_file = OnnxEmbedder(rec.embedder.path)
    assert (as_file.name, as_file.metric, as_file.size, as_file.threshold) == (
        "dlib_resnet.v1",
        "euclidean",
        150,
        0.6,
    )
    np.testing.assert_array_equal(as_file.embed_chips(chips), ours)


def test_parsers_built_again_and_again_share_groups_correctly():
    """Shared groups (eval, train) must belong to each new parser, whatever ids Python reuses."""
    import gc

    from foveal.cli import build_parser

    for _ in range(5):
        p = build_parser()
        args = p.parse_args(["eval", "faces", "--detection", "x.xml"])
        assert args.eval_command == "faces"
        del p
        gc.collect()
