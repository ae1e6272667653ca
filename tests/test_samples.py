"""The README's main job (`make run` = python -m foveal.samples) runs foveal analyze offline."""

from __future__ import annotations

import json
from pathlib import Path

from foveal.samples import main, render_text_image


def test_main_job_analyzes_photos_and_a_rendered_page(tmp_path: Path, capsys) -> None:
    assert main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "espresso" in out and "text.png" in out
    recs = [json.loads(line) for line in (tmp_path / "records.jsonl").read_text().splitlines()]
    assert [Path(r["source"]).name for r in recs] == [
        "chelsea.png",
        "coffee.png",
        "rocket.jpg",
        "astronaut.png",
        "text.png",
    ]
    assert all("classify" in r for r in recs)
    assert (tmp_path / "report.html").stat().st_size > 10_000


def test_rendered_page_is_dark_text_on_white(tmp_path: Path) -> None:
    import numpy as np

    from foveal.io import load_image

    img = load_image(render_text_image(tmp_path / "p.png"))
    ink = img.min(axis=2) < 100
    assert np.median(img) == 255 and 0.01 < ink.mean() < 0.3
    rows = np.flatnonzero(ink.any(axis=1))
    gaps = np.flatnonzero(np.diff(rows) > 5)
    assert len(gaps) == 2  # three separate lines of text
