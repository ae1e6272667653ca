"""Where foveal keeps its files: the cache (XDG_CACHE_HOME) apart from user data (XDG_DATA_HOME),
FOVEAL_HOME holding both, and the one-time move of a gallery from the old place."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from foveal.gallery import Gallery, default_gallery_path
from foveal.zoo import resolve
from foveal.zoo.resolve import cache_dir, data_dir, data_file, foveal_home


@pytest.fixture()
def user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder of its own, with no FOVEAL_HOME or XDG variables set."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("FOVEAL_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(var, raising=False)
    return home


def test_defaults_follow_the_xdg_base_directories(user: Path) -> None:
    assert foveal_home() == user / ".cache" / "foveal"
    assert cache_dir() == user / ".cache" / "foveal" / "weights"
    assert data_dir() == user / ".local" / "share" / "foveal"
    assert default_gallery_path() == user / ".local" / "share" / "foveal" / "faces.db"


def test_xdg_variables_move_cache_and_data_apart(
    user: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "d"))
    assert foveal_home() == tmp_path / "c" / "foveal"
    assert cache_dir() == tmp_path / "c" / "foveal" / "weights"
    assert default_gallery_path() == tmp_path / "d" / "foveal" / "faces.db"


def test_relative_xdg_values_are_ignored_as_the_spec_says(
    user: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "rel/cache")
    monkeypatch.setenv("XDG_DATA_HOME", "rel/data")
    assert foveal_home() == user / ".cache" / "foveal"
    assert data_dir() == user / ".local" / "share" / "foveal"


def test_foveal_home_holds_everything_as_before(
    user: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOVEAL_HOME", str(tmp_path / "fh"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "d"))
    assert foveal_home() == tmp_path / "fh" and data_dir() == tmp_path / "fh"
    assert cache_dir() == tmp_path / "fh" / "weights"
    assert default_gallery_path() == tmp_path / "fh" / "faces.db"


def _old_gallery(user: Path) -> Path:
    old = user / ".cache" / "foveal" / "faces.db"
    with Gallery(old) as g:
        g.enroll("ada", np.ones(4, dtype=np.float32), embedder="test.v1")
    return old


def test_gallery_at_the_old_place_moves_once(
    user: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _old_gallery(user)
    new = user / ".local" / "share" / "foveal" / "faces.db"
    with Gallery() as g:  # the default gallery
        assert g.path == new and [p.name for p in g.people()] == ["ada"]
    assert not old.exists() and new.is_file()
    err = capsys.readouterr().err
    assert err == f"foveal: moved {old} to {new} (user data is kept out of the cache)\n"
    assert default_gallery_path() == new
    assert capsys.readouterr().err == ""  # said once, done once


def test_a_gallery_already_at_the_new_place_wins(
    user: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _old_gallery(user)
    new = user / ".local" / "share" / "foveal" / "faces.db"
    with Gallery(new) as g:
        g.enroll("grace", np.ones(4, dtype=np.float32), embedder="test.v1")
    capsys.readouterr()
    assert default_gallery_path() == new
    assert old.is_file() and capsys.readouterr().err == ""
    with sqlite3.connect(new) as con:
        assert con.execute("SELECT name FROM people").fetchall() == [("grace",)]


def test_no_move_when_foveal_home_is_set(
    user: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _old_gallery(user)
    monkeypatch.setenv("FOVEAL_HOME", str(tmp_path / "fh"))
    assert default_gallery_path() == tmp_path / "fh" / "faces.db"
    assert old.is_file() and not (tmp_path / "fh" / "faces.db").exists()


def test_move_across_file_systems_copies_then_removes(
    user: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _old_gallery(user)
    os.chmod(old, 0o600)
    real_replace = os.replace

    def cross_device(src, dst):  # noqa: ANN001, ANN202 - os.replace's own signature
        if Path(src) == old:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_replace(src, dst)

    monkeypatch.setattr(resolve.os, "replace", cross_device)
    new = data_file("faces.db")
    assert not old.exists() and new.is_file() and (new.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in new.parent.iterdir()] == ["faces.db"]  # no temporary file left
    with sqlite3.connect(new) as con:
        assert con.execute("SELECT name FROM people").fetchall() == [("ada",)]
    assert "foveal: moved" in capsys.readouterr().err
