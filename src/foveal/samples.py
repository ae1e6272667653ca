"""Real sample photos that install offline with scikit-image, and the README's main job.

>>> from foveal.samples import sample_photos
>>> sorted(sample_photos())
['astronaut', 'chelsea', 'coffee', 'rocket']

``python -m foveal.samples`` runs ``foveal analyze`` on them and on a page of text it renders.
"""

from __future__ import annotations

import sys
from pathlib import Path

from foveal.errors import FovealError

PHOTOS = ("chelsea", "coffee", "rocket", "astronaut")


def skimage_data_dir() -> Path:
    try:
        import skimage.data
    except ImportError as exc:
        raise FovealError("scikit-image is not installed: pip install 'foveal[samples]'") from exc
    return Path(skimage.data.__file__).parent


def sample_photos(names: tuple[str, ...] = PHOTOS) -> dict[str, Path]:
    """Paths of scikit-image's sample photos (chelsea the cat, coffee, rocket, astronaut)."""
    root = skimage_data_dir()
    out = {}
    for name in names:
        matches = sorted(root.glob(f"{name}.*"))
        if not matches:
            raise FovealError(f"scikit-image sample {name!r} not found in {root}")
        out[name] = matches[0]
    return out


TEXT_LINES = (
    "foveal reads text offline",
    "Invoice 2026-041: 3 boxes of apples",
    "Total due: 128.50 EUR",
)


def render_text_image(
    path: str | Path, lines: tuple[str, ...] = TEXT_LINES, *, size: int = 40
) -> Path:
    """Render ``lines`` in black DejaVu Sans on white and save it as a PNG (a page foveal makes
    itself).

    >>> render_text_image("hello.png", ("Hello world",))
    PosixPath('hello.png')
    """
    from PIL import Image, ImageDraw

    from foveal.analyze.draw import font

    f = font(size)
    width = (
        max(int(ImageDraw.Draw(Image.new("L", (1, 1))).textlength(t, font=f)) for t in lines)
        + 2 * size
    )
    height = int(len(lines) * size * 1.8 + size)
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((size, size // 2 + i * size * 1.8), line, fill="black", font=f)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


def main(argv: list[str] | None = None) -> int:
    """The README's main job: ``foveal analyze`` offline on scikit-image photos and a rendered page.

    Runs every task installed here whose model loads (``--tasks all``); writes ``samples-out/``
    (records.jsonl, records.csv, annotated/, report.html) and prints one line per image.
    """
    import argparse
    import json

    from foveal.analyze.run import AnalyzeConfig, run_analyze

    parser = argparse.ArgumentParser(prog="python -m foveal.samples", description=main.__doc__)
    parser.add_argument(
        "--out", default="samples-out", help="output folder (default ./samples-out)"
    )
    parser.add_argument(
        "--tasks", default="all", help="tasks to run (default: all that are available)"
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    inputs = [str(p) for p in sample_photos().values()]
    inputs.append(str(render_text_image(out / "inputs" / "text.png")))
    print(
        f"foveal main job: foveal analyze --tasks {args.tasks} on {len(inputs)} images "
        "(scikit-image sample photos and a page rendered here)"
    )
    stats = run_analyze(
        AnalyzeConfig(
            inputs=inputs,
            tasks=args.tasks,
            out=str(out),
            csv=True,
            html=True,
            annotate=True,
            overwrite=True,
            progress=False,
        )
    )
    if stats["skipped_tasks"]:
        print(f"  (not run here: {', '.join(stats['skipped_tasks'])}; reasons above)")
    with open(out / "records.jsonl", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            print(
                f"  {Path(rec['source']).name:<14} "
                + "; ".join(_describe(t, rec.get(t, {})) for t in stats["tasks"])
            )
    print(f"records: {out / 'records.jsonl'}  report: {stats['html']}")
    return 1 if stats["bad"] else 0


def _describe(task: str, res: dict) -> str:
    if "error" in res:
        return f"{task}: error {res['error']}"
    if task == "classify":
        return "classify: " + ", ".join(
            f"{t['name']} {t['score']:.0%}" for t in res.get("top", [])[:2]
        )
    if task == "detect":
        names = [d["name"] for d in res.get("detections", [])]
        return f"detect: {len(names)} ({', '.join(sorted(set(names)))})"
    if task in ("faces", "identify"):
        return f"{task}: {len(res.get('faces', []))}"
    if task == "ocr":
        return f"ocr: {res.get('text', '')[:40]!r}"
    return task


if __name__ == "__main__":
    sys.exit(main())
