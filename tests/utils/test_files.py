"""Atomic writes: complete or absent, never half-written; sane permissions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from foveal.utils.files import atomic_path, atomic_write_text, new_file_mode


def test_new_file_gets_umask_permissions_and_replace_keeps_mode(tmp_path: Path) -> None:
    p = atomic_write_text(tmp_path / "a" / "x.json", "{}")
    assert p.read_text() == "{}"
    assert p.stat().st_mode & 0o777 == new_file_mode()
    os.chmod(p, 0o640)
    atomic_write_text(p, "[1]")
    assert p.read_text() == "[1]" and p.stat().st_mode & 0o777 == 0o640


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    p = tmp_path / "keep.txt"
    p.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(p) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert p.read_text() == "old"
    assert [f.name for f in tmp_path.iterdir()] == ["keep.txt"]
