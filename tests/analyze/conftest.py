"""Fixtures for analyze tests: a folder of real photos (scikit-image) and a rendered text page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def photo_dir(photos: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """chelsea, coffee, rocket, astronaut copied into one folder (read-only originals stay
    untouched)."""
    d = tmp_path_factory.mktemp("photos")
    for p in photos.values():
        shutil.copy(p, d / p.name)
    return d


@pytest.fixture(scope="session")
def text_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from foveal.samples import render_text_image

    return render_text_image(tmp_path_factory.mktemp("text") / "page.png")
