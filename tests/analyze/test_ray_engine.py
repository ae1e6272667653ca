"""--engine ray on a local 2-CPU Ray instance gives the same records as the local engine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from foveal.analyze.ray_engine import record_files
from foveal.cli import main


def _load(files: list[Path]) -> list[dict]:
    recs = [json.loads(line) for f in files for line in f.read_text().splitlines()]
    return sorted(recs, key=lambda r: (r["source"], r.get("frame", -1), r.get("page", -1)))


def test_ray_engine_matches_local_engine(photo_dir: Path, shared: Path, tmp_path: Path) -> None:
    src = tmp_path / "in"
    shutil.copytree(photo_dir, src)
    (src / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    from PIL import Image

    photos = [Image.open(p).convert("RGB") for p in sorted(photo_dir.iterdir())[:2]]
    photos[0].save(src / "two.pdf", save_all=True, append_images=photos[1:], resolution=72)
    video = str(shared / "data" / "video" / "vtest.avi")
    common = [
        str(src),
        video,
        "--tasks",
        "classify",
        "--fps",
        "0.2",
        "--top-k",
        "3",
        "--no-progress",
        "--batch-size",
        "4",
    ]
    assert (
        main(["analyze", *common, "--out", str(tmp_path / "local")]) == 1
    )  # 1: broken.jpg was skipped
    assert (
        main(
            [
                "analyze",
                *common,
                "--out",
                str(tmp_path / "ray"),
                "--engine",
                "ray",
                "--num-cpus",
                "2",
                "--csv",
            ]
        )
        == 1
    )
    local = _load([tmp_path / "local" / "records.jsonl"])
    parts = record_files(tmp_path / "ray" / "records")
    assert parts and all(p.suffix == ".jsonl" for p in parts)
    ray = _load(parts)
    # 5 files, 2 PDF pages, 795 frames at 10 fps sampled at 0.2 fps
    assert len(local) == 5 + 2 + 16
    assert [r["page"] for r in local if "page" in r] == [1, 2]
    assert [r["source"] for r in ray] == [r["source"] for r in local]
    assert ray == local
    assert "broken.jpg" in next(r for r in ray if "error" in r)["error"]
    assert len((tmp_path / "ray" / "records.csv").read_text().splitlines()) == 1 + len(local)
