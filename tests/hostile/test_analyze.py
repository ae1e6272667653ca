"""Hostile cases for ``foveal analyze``: resuming from another working directory, an output folder
inside the input folder, read-only folders and impossible ``--out`` paths.

Read-only folders are real: when the tests run as root (who ignores permissions), those runs go
through a ``foveal analyze`` process started as the unprivileged user ``nobody``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import foveal
from foveal.cli import main

NOBODY = 65534
QUIET = ["--tasks", "classify", "--top-k", "1", "--no-progress"]


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _photos_in(folder: Path, photos: dict[str, Path], names: tuple[str, ...]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(photos[name], folder / photos[name].name)
    return folder


def _analyze(*args: str | Path) -> int:
    return main(["analyze", *map(str, args), *QUIET])


# -- resume from another working directory -------------------------------------------------------


def test_resume_from_another_working_directory_adds_nothing(
    photos: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _photos_in(tmp_path / "work" / "photos", photos, ("chelsea", "coffee", "rocket"))
    (tmp_path / "elsewhere" / "deeper").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "work" / "photos")
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path / "work")
    assert _analyze("photos", "--out", out) == 0
    first = _records(out / "records.jsonl")
    assert len(first) == 3
    # The same files typed differently, from two other folders and through a symlink.
    for cwd, typed in [
        (tmp_path / "elsewhere", "../work/photos"),
        (tmp_path / "elsewhere" / "deeper", "../../link/"),
        (tmp_path, str(tmp_path / "work" / "photos")),
    ]:
        monkeypatch.chdir(cwd)
        assert _analyze(typed, "--out", out, "--resume") == 0
        assert _records(out / "records.jsonl") == first
    # A new file is analysed once, the others are not repeated.
    shutil.copy(photos["astronaut"], tmp_path / "work" / "photos" / "new.png")
    assert _analyze("link", "--out", out, "--resume") == 0
    names = sorted(Path(r["path"]).name for r in _records(out / "records.jsonl"))
    assert names == sorted([photos[n].name for n in ("chelsea", "coffee", "rocket")] + ["new.png"])


def test_records_of_an_older_version_with_relative_paths_still_resume(
    photos: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records written before ``path`` existed hold only the path as typed, relative to a working
    directory nobody wrote down; resuming from elsewhere must not duplicate them."""
    _photos_in(tmp_path / "work" / "photos", photos, ("chelsea", "coffee"))
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path / "work")
    assert _analyze("photos", "--out", out) == 0
    old = [
        {k: v for k, v in r.items() if k not in ("path", "fingerprint")}
        for r in _records(out / "records.jsonl")
    ]
    assert all(not os.path.isabs(r["source"]) for r in old)
    (out / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in old))
    monkeypatch.chdir(tmp_path)
    assert _analyze("work/photos", "--out", out, "--resume") == 0
    assert _records(out / "records.jsonl") == old


def test_a_moved_input_folder_is_recognised_by_its_fingerprint(
    photos: dict[str, Path], tmp_path: Path
) -> None:
    src = _photos_in(tmp_path / "photos", photos, ("chelsea", "coffee"))
    out = tmp_path / "out"
    assert _analyze(src, "--out", out) == 0
    first = _records(out / "records.jsonl")
    moved = src.rename(tmp_path / "renamed")
    assert _analyze(moved, "--out", out, "--resume") == 0
    assert _records(out / "records.jsonl") == first
    # Same name and size but new content (new mtime) is a different file: analysed.
    (moved / photos["coffee"].name).write_bytes((moved / photos["coffee"].name).read_bytes())
    assert _analyze(moved, "--out", out, "--resume") == 0
    assert [Path(r["path"]).name for r in _records(out / "records.jsonl")[2:]] == [
        photos["coffee"].name
    ]


# -- output folder inside the input folder -------------------------------------------------------


@pytest.mark.parametrize("where", ["inside", "same"])
def test_out_inside_the_input_folder_is_never_read_back(
    photos: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    src = _photos_in(tmp_path / "photos", photos, ("chelsea", "coffee", "rocket"))
    (src / "sub").mkdir()
    shutil.copy(photos["astronaut"], src / "sub" / "astronaut.png")
    out = src / "results" if where == "inside" else src
    writes = ["--annotate", "--write-metadata", "--csv", "--html"]
    counts = []
    for run in range(3):
        again = ["--overwrite"] if run else []
        assert _analyze(src, "--out", out, *writes, *again) == 0
        err = capsys.readouterr().err
        counts.append((err.count("on 4 input file(s)"), len(_records(out / "records.jsonl"))))
        assert len(list((out / "annotated").iterdir())) == 4
        assert len(list((out / "tagged").iterdir())) == 4
    assert counts == [(1, 4)] * 3
    # A resumed run has nothing left to do, and a glob over the folder skips the outputs too.
    assert _analyze(f"{src}/**/*.*", "--out", out, "--resume") == 0
    assert "on 4 input file(s)" in capsys.readouterr().err
    assert len(_records(out / "records.jsonl")) == 4
    # Naming an output folder as the input is an error, not a silent empty run.
    assert _analyze(out / "annotated", "--out", out, "--resume") == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "holds outputs of this run (--out), which are never read as input" in line


# -- impossible --out ----------------------------------------------------------------------------


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("foveal: error: ")
    return lines[0]


def test_out_under_a_regular_file_is_one_line_before_any_work(
    photos: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _photos_in(tmp_path / "photos", photos, ("coffee",))
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder")
    assert _analyze(src, "--out", blocker / "out") == 2
    line = _one_error_line(capsys.readouterr().err)
    assert f"{blocker} is a file" in line and "pass another folder" in line
    assert _analyze(src, "--out", blocker) == 2
    assert "is a file, not a folder" in _one_error_line(capsys.readouterr().err)
    assert blocker.read_text() == "a file, not a folder"
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "records.jsonl").mkdir()
    assert _analyze(src, "--out", tmp_path / "out", "--overwrite") == 2
    assert "records.jsonl exists and cannot be written" in _one_error_line(capsys.readouterr().err)


# -- read-only folders, as an unprivileged user ---------------------------------------------------


@pytest.fixture(scope="module")
def sandbox(photos: dict[str, Path]) -> Iterator[Path]:
    """A folder the unprivileged user can enter, with a foveal home holding the exported default
    classifier (so the run does not export it again)."""
    foveal.classify(photos["coffee"])
    root = Path(tempfile.mkdtemp(prefix="foveal-hostile-analyze-"))
    root.chmod(0o755)
    home = root / "home"
    shutil.copytree(os.environ["FOVEAL_HOME"], home)
    _give_away(home)
    try:
        yield root
    finally:
        for p in [root, *root.rglob("*")]:
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o755)
        shutil.rmtree(root)


def _give_away(path: Path) -> None:
    """Hand ``path`` (a tree) to the user the unprivileged runs use."""
    if os.geteuid() == 0:
        for p in [path, *path.rglob("*")]:
            os.chown(p, NOBODY, NOBODY)


def _run_unprivileged(sandbox: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(foveal.__file__).parents[1]),
        "FOVEAL_HOME": str(sandbox / "home"),
        "HOME": str(sandbox / "home"),
    }
    prefix: list[str] = []
    drop: dict[str, object] = {}
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv:
            prefix = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
        else:
            drop = {"user": NOBODY, "group": NOBODY, "extra_groups": []}
    cmd = [*prefix, sys.executable, "-m", "foveal", "analyze", *map(str, args), *QUIET]
    return subprocess.run(
        cmd, env=env, cwd=sandbox, capture_output=True, text=True, timeout=300, **drop
    )


def test_read_only_folder_xmp_failures_are_listed_and_exit_1(
    photos: dict[str, Path], sandbox: Path
) -> None:
    src = _photos_in(sandbox / "ro-in", photos, ("rocket", "coffee"))
    out = sandbox / "out-xmp"
    out.mkdir()
    _give_away(out)
    before = {p.name: p.read_bytes() for p in src.iterdir()}
    src.chmod(0o555)
    proc = _run_unprivileged(sandbox, src, "--out", out, "--write-metadata", "--in-place")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for name in before:
        assert (
            f"metadata not written for {src / name}: could not write XMP metadata to "
            f"{src / name}: Permission denied" in proc.stderr
        )
    assert "2 without metadata" in proc.stderr
    recs = _records(out / "records.jsonl")
    assert len(recs) == 2 and all("metadata_error" in r and "classify" in r for r in recs)
    assert {p.name: p.read_bytes() for p in src.iterdir()} == before  # nothing half-written


def test_out_in_a_read_only_folder_is_one_line_exit_2(
    photos: dict[str, Path], sandbox: Path
) -> None:
    src = _photos_in(sandbox / "in-ro-out", photos, ("coffee",))
    locked = sandbox / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    for out in (locked / "out", locked):
        proc = _run_unprivileged(sandbox, src, "--out", out)
        assert proc.returncode == 2, proc.stderr
        line = _one_error_line(proc.stderr)
        assert f"--out {out} is not a folder foveal can write to (Permission denied)" in line
    assert list(locked.iterdir()) == []


def test_an_unreadable_input_is_skipped_and_listed(photos: dict[str, Path], sandbox: Path) -> None:
    src = _photos_in(sandbox / "in-unreadable", photos, ("chelsea", "coffee", "rocket"))
    secret = src / photos["coffee"].name
    secret.chmod(0o000)
    out = sandbox / "out-unreadable"
    out.mkdir()
    _give_away(out)
    proc = _run_unprivileged(sandbox, src, "--out", out)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    line = next(ln for ln in proc.stderr.splitlines() if "skipped" in ln)
    assert str(secret) in line and "Permission denied" in line
    assert line.count(secret.name) == 1  # the file is named once
    recs = {Path(r["source"]).name: r for r in _records(out / "records.jsonl")}
    assert sorted(recs) == sorted(photos[n].name for n in ("chelsea", "coffee", "rocket"))
    assert "classify" in recs[photos["chelsea"].name] and "classify" in recs[photos["rocket"].name]
    assert "Permission denied" in recs[secret.name]["error"]
