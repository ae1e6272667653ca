"""`foveal data convert` / `foveal data check` on real and broken detection datasets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from foveal.cli import main


@pytest.fixture(scope="module")
def bccd(shared: Path) -> Path:
    return shared / "data" / "detection" / "bccd" / "BCCD"


def test_check_bccd_reports_zero_area_boxes(bccd: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "check", str(bccd)]) == 1
    out = capsys.readouterr().out
    assert (
        "364 images, 4888 boxes" in out and "zero_area=2" in out and "BloodImage_00338.xml" in out
    )
    assert main(["data", "check", str(bccd), "--json", "--split", "test", "--format", "voc"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["ok"] is True and rep["summary"]["images"] == 72


def test_convert_fix_then_check_is_clean(
    bccd: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "yolo"
    assert (
        main(
            [
                "data",
                "convert",
                str(bccd),
                str(out),
                "--from",
                "voc",
                "--to",
                "yolo",
                "--images",
                "link",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert "364 images, 4888 boxes" in captured.out and "zero_area=2" in captured.err
    assert main(["data", "check", str(out / "data.yaml")]) == 1
    capsys.readouterr()
    fixed = tmp_path / "coco"
    assert (
        main(
            [
                "data",
                "convert",
                str(out),
                str(fixed),
                "--to",
                "coco",
                "--fix",
                "--json",
                "--images",
                "link",
            ]
        )
        == 0
    )
    res = json.loads(capsys.readouterr().out)
    assert res["from"] == "yolo" and res["dropped"] == 2 and res["boxes"] == 4886
    assert main(["data", "check", str(fixed), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["boxes"] == 4886


def test_convert_refuses_non_empty_destination(
    bccd: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "x").write_text("keep me")
    assert main(["data", "convert", str(bccd), str(tmp_path), "--to", "coco"]) == 2
    assert "not an empty folder" in capsys.readouterr().err


def test_check_unreadable_dataset_is_a_report_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["data", "check", str(tmp_path / "nope")]) == 1
    assert "cannot be checked" in capsys.readouterr().out
    (tmp_path / "data.yaml").write_text("train: [\n")
    assert main(["data", "check", str(tmp_path), "--json"]) == 1
    rep = json.loads(capsys.readouterr().out)
    assert rep["ok"] is False and "not valid YAML" in rep["error"]


def test_check_class_names_that_do_not_match(bccd: Path, capsys: pytest.CaptureFixture) -> None:
    assert (
        main(
            [
                "data",
                "check",
                str(bccd),
                "--split",
                "test",
                "--classes",
                "RBC,WBC,platelet",
                "--json",
            ]
        )
        == 1
    )
    rep = json.loads(capsys.readouterr().out)
    assert set(rep["problem_counts"]) == {"unknown_class"}
    assert all("'Platelets' is not one of" in p["message"] for p in rep["problems"])


def test_unknown_option_is_an_error(bccd: Path) -> None:
    with pytest.raises(SystemExit) as e:
        main(["data", "check", str(bccd), "--bogus"])
    assert e.value.code == 2


def test_convert_corrupt_labels_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "src" / "Annotations").mkdir(parents=True)
    (tmp_path / "src" / "Annotations" / "a.xml").write_text("<annotation><object>")
    assert (
        main(["data", "convert", str(tmp_path / "src"), str(tmp_path / "out"), "--to", "yolo"]) == 2
    )
    err = capsys.readouterr().err
    assert (
        "a.xml: is not valid XML" in err and "foveal data check" in err and "Traceback" not in err
    )
