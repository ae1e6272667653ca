"""Fixtures for analyze tests: a folder of real photos (scikit-image), a rendered text page, and
the service's web page run on one image."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


@pytest.fixture
def run_web_page(browser: Any) -> Callable[[str, Path, int, int], Any]:
    """``run_web_page(url, image, width, timeout_ms)``: the served page in headless Chromium with
    its default tasks (classify, detect, faces, ocr) ticked, run on ``image`` (drawn ``width`` px
    wide); returns the page once it says done."""

    def run(url: str, image: Path, width: int, timeout_ms: int) -> Any:
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.goto(url + "/")
        for t in ("classify", "detect", "faces", "ocr"):
            page.wait_for_selector(f"#task-{t}:checked", timeout=30_000)
        page.set_input_files("#file", str(image))
        page.wait_for_function(f"document.getElementById('canvas').width === {width}")
        page.click("#run")
        page.wait_for_function(
            "document.getElementById('status').textContent.startsWith('done')",
            timeout=timeout_ms,
        )
        return page

    return run
