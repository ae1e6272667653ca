"""The web page in headless Chromium (Debian `chromium`, driven by Playwright): upload an image,
see the overlay drawn on the canvas and the results list."""

from __future__ import annotations

import shutil
from pathlib import Path


def test_upload_shows_overlay_and_results(
    web_page, photos: dict[str, Path], tmp_path: Path
) -> None:
    shot = tmp_path / "page.png"
    with web_page("classify", ready="#task-classify:checked") as page:
        page.set_input_files("#file", str(photos["coffee"]))
        page.wait_for_function("document.getElementById('canvas').width === 600")
        before = page.evaluate(
            "() => Array.from(document.getElementById('canvas').getContext('2d')"
            ".getImageData(0, 340, 300, 60).data)"
        )
        page.locator(
            "#run"
        ).focus()  # blur the token field now: its change event reloads the task list
        page.wait_for_timeout(500)
        checked = page.evaluate(
            "() => [...document.querySelectorAll('#tasks input:checked')].map((x) => x.value)"
        )
        assert checked == ["classify"], checked  # the user's choice survives the reload
        page.click("#run")
        page.wait_for_selector("#results li", timeout=120_000)
        items = page.locator("#results li").all_inner_texts()
        shapes = int(page.get_attribute("#canvas", "data-shapes"))
        after = page.evaluate(
            "() => Array.from(document.getElementById('canvas').getContext('2d')"
            ".getImageData(0, 340, 300, 60).data)"
        )
        status = page.inner_text("#status")
        page.screenshot(path=str(shot), full_page=True)
    keep = Path(__file__).resolve().parents[2] / "out"
    keep.mkdir(exist_ok=True)
    shutil.copy(shot, keep / "web_page.png")  # for a human to look at (out/ is git-ignored)
    assert status.startswith("done"), status
    assert items[0].startswith("class: espresso")
    assert len(items) == 5
    assert shapes >= 1
    changed = sum(a != b for a, b in zip(before, after, strict=True))
    assert changed > 1000  # the label banner was drawn over the image's bottom-left corner


def test_docs_page_works_offline(browser, server: str) -> None:
    """/docs renders the API from this service's own files: no request leaves the machine."""
    outside: list[str] = []

    def route(r: object) -> None:
        url = r.request.url  # type: ignore[attr-defined]
        if url.startswith(server + "/"):
            r.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(url)
            r.abort()  # type: ignore[attr-defined]

    page = browser.new_page()
    page.route("**/*", route)
    page.goto(server + "/docs")
    page.wait_for_selector(".opblock", timeout=60_000)
    operations = page.locator(".opblock").count()
    title = page.inner_text(".title")
    assert outside == []
    assert operations >= 8 and title.startswith("foveal"), (operations, title)


def test_large_image_fits_beside_the_results(
    browser, server: str, photos: dict[str, Path], tmp_path: Path
) -> None:
    """A photo larger than the window is scaled to fit it, and the results panel stays beside it,
    in view."""
    from PIL import Image

    big = tmp_path / "big.jpg"
    Image.open(photos["coffee"]).resize((3000, 2400)).save(big, quality=85)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(server + "/")
    page.set_input_files("#file", str(big))
    page.wait_for_function("document.getElementById('canvas').width === 3000")
    canvas = page.evaluate(
        "() => document.getElementById('canvas').getBoundingClientRect().toJSON()"
    )
    panel = page.evaluate("() => document.getElementById('panel').getBoundingClientRect().toJSON()")
    overflow = page.evaluate("() => getComputedStyle(document.getElementById('panel')).overflowY")
    assert canvas["width"] < 1200 and canvas["height"] <= 900, canvas  # scaled down to fit
    assert abs(canvas["width"] / canvas["height"] - 3000 / 2400) < 0.01  # not distorted
    assert panel["left"] >= canvas["right"], (panel, canvas)  # beside the image, not below it
    assert panel["right"] <= 1200 and panel["top"] < 900, panel  # in view
    assert overflow == "auto"  # long results scroll inside the panel


def test_pixel_tasks_are_listed(web_page, photos: dict[str, Path]) -> None:
    """segment and restore: each class's share of the photo, and the restoration's change."""
    found = {}
    for task in ("segment", "restore"):
        with web_page(task) as page:
            page.set_input_files("#file", str(photos["astronaut"]))
            page.wait_for_function("document.getElementById('canvas').width > 0")
            page.click("#run")
            page.wait_for_function(
                "document.getElementById('status').textContent.startsWith('done')",
                timeout=120_000,
            )
            found[task] = page.locator("#results li").all_inner_texts()
    assert {i.split(" ")[1] for i in found["segment"]} == {"background", "person"}, found
    assert found["restore"][0].startswith("restore: mean change "), found
