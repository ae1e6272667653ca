"""Hostile inputs for the face gallery and the face commands: another program's database as
gallery, damaged gallery metadata and vectors, foreign or wrong-task embedder models; and the
plain portrait that must enrol with the default detector threshold."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pytest

from foveal.cli import main
from foveal.gallery import Gallery, GalleryError
from foveal.gallery.schema import APPLICATION_ID, SCHEMA

DIM = 128
EMBEDDER = "dlib_resnet.v1"  # the default embedder: identify reads these galleries
ROOT = Path(__file__).resolve().parents[2]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_error_line(err: str) -> str:
    """The single ``foveal: error:`` line of a refused command (and no traceback)."""
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("foveal: error:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def foreign_db(tmp_path: Path) -> Path:
    """An SQLite database of another program: two tables with rows, rollback journal."""
    path = tmp_path / "accounts.db"
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);"
        "INSERT INTO invoices VALUES (1, 9.5), (2, 12.0);"
        "CREATE TABLE meta (key TEXT, value TEXT);"
        "INSERT INTO meta VALUES ('owner', 'bookkeeping');"
    )
    con.commit()
    con.close()
    return path


@pytest.fixture
def people(shared: Path) -> Path:
    return shared / "data/faces/people"


# -- item 9: a database that is not a gallery is refused without a write ----------------------


def test_foreign_sqlite_refused_and_left_byte_identical(foreign_db: Path, capsys):
    before = _digest(foreign_db)
    siblings = sorted(p.name for p in foreign_db.parent.iterdir())
    with pytest.raises(GalleryError, match="another program .*invoices.*not a foveal gallery"):
        Gallery(foreign_db)
    for argv in (
        ["faces", "list", "--gallery", str(foreign_db)],
        ["faces", "list", "--json", "--gallery", str(foreign_db)],
        ["faces", "remove", "ada", "--gallery", str(foreign_db)],
    ):
        assert main(argv) == 2
        line = _one_error_line(capsys.readouterr().err)
        assert str(foreign_db) in line and "not a foveal gallery" in line and "--gallery" in line
    assert _digest(foreign_db) == before
    assert sorted(p.name for p in foreign_db.parent.iterdir()) == siblings  # no -wal, no -shm
    con = sqlite3.connect(foreign_db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"invoices", "meta"}
    con.close()


def test_enrol_into_foreign_sqlite_refused_before_detection(foreign_db, people, capsys):
    before = _digest(foreign_db)
    argv = ["faces", "enroll", "biden", str(people / "biden.jpg"), "--gallery", str(foreign_db)]
    assert main(argv) == 2
    assert "not a foveal gallery" in _one_error_line(capsys.readouterr().err)
    assert _digest(foreign_db) == before


def test_other_application_id_and_non_sqlite_files_refused(tmp_path):
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("PRAGMA application_id = 1234")
    con.commit()
    con.close()
    junk = tmp_path / "faces.db"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    for path, message in ((other, "application_id 0x4d2"), (junk, "not a foveal gallery")):
        before = _digest(path)
        with pytest.raises(GalleryError, match=message) as err:
            Gallery(path)
        assert "\n" not in str(err.value)
        assert _digest(path) == before


def test_new_empty_and_older_galleries_are_accepted(tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")  # a new, empty file is initialised
    with Gallery(empty) as g:
        g.enroll("ada", np.ones((1, DIM), np.float32), embedder=EMBEDDER)
    con = sqlite3.connect(empty)
    assert con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    con.close()
    # a gallery written before the application_id existed: same tables, id 0
    old = tmp_path / "old.db"
    con = sqlite3.connect(old)
    con.executescript(SCHEMA + "INSERT INTO meta VALUES ('schema', '1'), ('revision', '0');")
    con.commit()
    con.close()
    with Gallery(old) as g:
        g.enroll("bob", np.ones((2, DIM), np.float32), embedder=EMBEDDER)
        assert {p.name: p.faces for p in g.people()} == {"bob": 2}


def test_newer_schema_refused(tmp_path):
    path = tmp_path / "g.db"
    Gallery(path).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value = '7' WHERE key = 'schema'")
    con.commit()
    con.close()
    with pytest.raises(GalleryError, match="schema '7'"):
        Gallery(path)


# -- item 9: damaged gallery metadata and vectors ---------------------------------------------


def _tamper(path: Path, sql: str, *params: object) -> None:
    con = sqlite3.connect(path)
    con.execute(sql, params)
    con.commit()
    con.close()


@pytest.fixture
def enrolled(tmp_path: Path) -> Path:
    path = tmp_path / "faces.db"
    with Gallery(path) as g:
        g.enroll("ada", np.full((2, DIM), 0.1, np.float32), embedder=EMBEDDER)
        g.enroll("bob", np.full((1, DIM), 0.5, np.float32), embedder=EMBEDDER)
    return path


@pytest.mark.parametrize("dim", ["abc", "-3", "0", ""])
def test_bad_dim_metadata_is_one_gallery_error(enrolled, dim, capsys):
    _tamper(enrolled, "UPDATE meta SET value = ? WHERE key = 'dim'", dim)
    with Gallery(enrolled) as g:
        for call in (
            lambda: g.embedder,
            lambda: g.match(np.zeros(DIM, np.float32), threshold=0.6),
            lambda: g.enroll("cy", np.zeros((1, DIM), np.float32), embedder=EMBEDDER),
        ):
            with pytest.raises(GalleryError, match=f"dim={dim!r}; expected a positive") as err:
                call()
            assert "\n" not in str(err.value)
        assert len(g) == 3  # the refused enrolment wrote nothing
    assert main(["faces", "list", "--json", "--gallery", str(enrolled)]) == 2
    assert "damaged" in _one_error_line(capsys.readouterr().err)


def test_bad_metric_metadata_is_one_gallery_error(enrolled):
    _tamper(enrolled, "UPDATE meta SET value = 'manhattan' WHERE key = 'metric'")
    with Gallery(enrolled) as g, pytest.raises(GalleryError, match="metric='manhattan'"):
        g.match(np.zeros(DIM, np.float32), threshold=0.6)


@pytest.mark.parametrize("size", [DIM * 4 - 4, DIM * 4 + 4, 3, 0])
def test_short_or_long_stored_vector_is_one_gallery_error(enrolled, size, people, capsys):
    _tamper(
        enrolled,
        "UPDATE faces SET embedding = ? WHERE id = (SELECT MAX(id) FROM faces)",
        b"\x00" * size,
    )
    with Gallery(enrolled) as g:
        with pytest.raises(GalleryError, match=f"'bob' has a {size}-byte embedding") as err:
            g.match(np.zeros(DIM, np.float32), threshold=0.6)
        assert "faces remove bob" in str(err.value)
        with pytest.raises(GalleryError):
            g.embeddings()
        assert g.remove("bob") == 1  # the way out the message names works
        names, _ = g.match(np.full(DIM, 0.1, np.float32), threshold=0.6)
        assert names == ["ada"]


def test_identify_on_damaged_vector_is_one_line(enrolled, people, capsys):
    _tamper(enrolled, "UPDATE faces SET embedding = ? WHERE id = 1", b"\x00" * 10)
    argv = ["faces", "identify", str(people / "obama.jpg"), "--gallery", str(enrolled)]
    assert main(argv) == 2
    assert "'ada' has a 10-byte embedding" in _one_error_line(capsys.readouterr().err)


def test_query_of_another_dimension_is_refused(enrolled):
    with Gallery(enrolled) as g, pytest.raises(GalleryError, match="128-d .* got 127-d"):
        g.match(np.zeros(DIM - 1, np.float32), threshold=0.6)


# -- item 3: foreign or wrong-task embedder models ---------------------------------------------


def _with_meta(src: Path, dst: Path, task: str) -> Path:
    import onnx

    from foveal.runtime.onnx import META_KEY
    from foveal.zoo.meta import ModelMeta

    model = onnx.load(str(src))
    entry = model.metadata_props.add()
    entry.key = META_KEY
    entry.value = ModelMeta("someone.else", task).to_json()
    onnx.save(model, str(dst))
    return dst


def test_verify_refuses_foreign_and_wrong_task_embedders(shared, people, tmp_path, capsys):
    yunet = shared / "weights/face_detection_yunet_2023mar.onnx"
    wrong = _with_meta(yunet, tmp_path / "classifier.onnx", "classify")
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x08\x07garbage" * 50)
    for model, why in ((yunet, "no foveal metadata"), (wrong, "classify"), (garbage, "not an")):
        argv = ["faces", "verify", str(people / "obama.jpg"), str(people / "obama3.jpg")]
        assert main([*argv, "--embedder", str(model)]) == 2
        out = capsys.readouterr()
        line = _one_error_line(out.err)
        assert str(model.name) in line and why in line, line
        assert "same person" not in out.out and "distance" not in out.out


# -- item 12: a plain portrait enrols with the defaults ------------------------------------------


def test_biden_portraits_enrol_with_defaults(people, tmp_path, capsys):
    db = str(tmp_path / "faces.db")
    assert main(["faces", "enroll", "biden", str(people / "train/biden"), "--gallery", db]) == 0
    assert "enrolled 2 face(s) for biden" in capsys.readouterr().out
    assert main(["faces", "cluster", str(people / "train/biden"), "--json"]) == 0
    clusters = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    assert len(clusters) == 1 and len(clusters[0]["faces"]) == 2  # no "person" of painted faces


def test_faces_numbered_alike_in_enrol_errors_and_identify(people, tmp_path, capsys):
    db = str(tmp_path / "faces.db")
    two = str(people / "test/kit_with_rose.jpg")
    assert main(["faces", "enroll", "kit", two, "--gallery", db]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert main(["faces", "identify", two, "--json", "--gallery", db]) == 0
    faces = json.loads(capsys.readouterr().out)["faces"]
    for i, f in enumerate(faces, 1):  # enrol error lists #1, #2 with identify's boxes, in order
        assert f"#{i} {[round(v) for v in f['box']]}" in line, (line, f)
    assert main(["faces", "identify", two, "--gallery", db]) == 0
    assert ": #1 unknown (" in capsys.readouterr().out
    # --index N takes face #N
    assert main(["faces", "enroll", "rose_leslie", two, "--index", "1", "--gallery", db]) == 0
    capsys.readouterr()
    assert main(["faces", "identify", two, "--json", "--gallery", db]) == 0
    assert json.loads(capsys.readouterr().out)["faces"][0]["name"] == "rose_leslie"
    for bad in ("0", "3"):
        assert main(["faces", "enroll", "x", two, "--index", bad, "--gallery", db]) == 2
        assert "#" in _one_error_line(capsys.readouterr().err)


def _bench():
    spec = importlib.util.spec_from_file_location(
        "faces_detector_pr", ROOT / "bench/faces_detector_pr.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_default_thresholds_follow_the_measured_table(shared):
    """The defaults (YuNet 0.8, CenterFace 0.6) are where both sets are clean: full recall, no
    false positive; YuNet's old 0.6 gave false faces on a plain portrait."""
    from foveal.tasks.faces import FaceDetector

    bench = _bench()
    rows = {(r.detector, r.conf): r for r in bench.measure(confs=(0.6, 0.8), shared=shared)}
    for name in bench.DETECTORS:
        r = rows[(name, FaceDetector(name).options().conf)]
        assert r.precision == 1.0 and r.recall == 1.0, r
        assert r.people_fp_per_image == 0 and r.people_missed_per_image == 0, r
    old = rows[("yunet.2023mar", 0.6)]
    assert old.people_images_with_fp >= 1 and old.fp_per_image > 0


def test_unreadable_gallery_says_permission_denied(tmp_path):
    """A gallery this process may not read is named as such, not as "not a foveal gallery"."""
    import os
    import shutil
    import subprocess

    path = tmp_path / "faces.db"
    Gallery(path).close()
    path.chmod(0)
    prefix: list[str] = []
    if os.geteuid() == 0:  # root reads anything: drop the capability that lets it
        setpriv = shutil.which("setpriv")
        assert setpriv, "running as root: setpriv (util-linux) is needed to drop CAP_DAC_OVERRIDE"
        caps = "-dac_override,-dac_read_search"
        prefix = [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]
    code = (
        "import sys\n"
        "from foveal.gallery import Gallery, GalleryError\n"
        "try:\n"
        "    Gallery(sys.argv[1])\n"
        "except GalleryError as exc:\n"
        "    print(exc)\n"
    )
    try:
        proc = subprocess.run(
            [*prefix, sys.executable, "-c", code, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )
    finally:
        path.chmod(0o644)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "cannot open the gallery" in proc.stdout and "permission" in proc.stdout
    assert "not a foveal gallery" not in proc.stdout
