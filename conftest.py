"""Shared fixtures for the tests and the docstring examples of ``src/foveal``: real data from
../shared and scikit-image, an isolated foveal cache, ``np`` and ``foveal`` in every doctest."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("FOVEAL_SHARED", ROOT.parent / "shared")).resolve()

# Tests run offline, find download-only weights in ../shared/weights, and never touch ~/.cache.
os.environ.setdefault("FOVEAL_WEIGHTS_PATH", str(SHARED / "weights"))
os.environ["FOVEAL_OFFLINE"] = "1"


@pytest.fixture(scope="session", autouse=True)
def _foveal_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("foveal_home")
    os.environ["FOVEAL_HOME"] = str(home)
    return home


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"shared data folder {SHARED} is missing (set FOVEAL_SHARED)")
    return SHARED


@pytest.fixture(scope="session")
def photos() -> dict[str, Path]:
    from foveal.samples import sample_photos

    return sample_photos()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian ``chromium``, driven by Playwright), closed after the test."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/system-deps.sh (apt-get install chromium)")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def two_columns(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``bench/ocr_columns.py``'s 2-column test page (seed 0, exact truth) at 150 dpi, as a PNG."""
    import importlib.util
    import sys

    import cv2

    spec = importlib.util.spec_from_file_location("ocr_columns", ROOT / "bench" / "ocr_columns.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    page = module.columns_page(columns=2, seed=0).image
    small = cv2.resize(page, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    path = tmp_path_factory.mktemp("cols") / "cols2.png"
    cv2.imwrite(str(path), small[..., ::-1])
    return path


@pytest.fixture(scope="session")
def doctest_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files the docstring examples name: ``cat.jpg`` (scikit-image's chelsea), ``coffee.png``,
    ``astronaut.jpg`` and ``page.png`` (three lines of text rendered here)."""
    from PIL import Image

    from foveal.samples import render_text_image, sample_photos

    folder = tmp_path_factory.mktemp("doctest_files")
    photos = sample_photos()
    Image.open(photos["chelsea"]).convert("RGB").save(folder / "cat.jpg", quality=95)
    Image.open(photos["coffee"]).convert("RGB").save(folder / "coffee.png")
    Image.open(photos["astronaut"]).convert("RGB").save(folder / "astronaut.jpg", quality=95)
    render_text_image(folder / "page.png")
    return folder


@pytest.fixture(autouse=True)
def _doctest_names(request: pytest.FixtureRequest, doctest_namespace: dict[str, Any]) -> None:
    """Docstring examples run in a fresh folder holding :func:`doctest_files`, with ``np`` and
    ``foveal`` imported."""
    from _pytest.doctest import DoctestItem

    import foveal

    doctest_namespace["np"] = np
    doctest_namespace["foveal"] = foveal
    if isinstance(request.node, DoctestItem):
        here = request.getfixturevalue("tmp_path")
        for f in request.getfixturevalue("doctest_files").iterdir():
            (here / f.name).symlink_to(f)
        request.getfixturevalue("monkeypatch").chdir(here)


RUNTIME_VARIABLES = ("FOVEAL_THREADS", "FOVEAL_SPIN", "FOVEAL_DEVICE")
"""Set by the command line for its own process (``--threads``, ``--spin``, ``--device``)."""


@pytest.fixture(autouse=True)
def _restore_runtime_variables():
    """A CLI call inside a test sets these for the process; every test starts as it found them."""
    before = {name: os.environ.get(name) for name in RUNTIME_VARIABLES}
    yield
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
