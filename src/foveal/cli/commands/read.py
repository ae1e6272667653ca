"""foveal read IMAGE|PDF|DIR ... — OCR: text in reading order, as plain text or JSON lines."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from foveal.cli.output import add_precision_options, add_runtime_options

if TYPE_CHECKING:
    import numpy as np

    from foveal.results import TextLines


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "read",
        help="read the text in images and PDFs (OCR)",
        description="Read text from images, PDFs (every page), folders or glob patterns. "
        "Pages turned by 90/180/270 degrees are read upright. "
        "Unreadable files are reported and skipped.",
        epilog="example: foveal read scans/ --json --save annotated/ > text.jsonl",
    )
    p.add_argument("inputs", nargs="+", help="image files, PDFs, folders or glob patterns")
    p.add_argument(
        "--json", action="store_true", help="one JSON object per image or PDF page (JSON lines)"
    )
    p.add_argument("--save", metavar="DIR", help="write each page with its text lines drawn to DIR")
    p.add_argument(
        "--rec", default=None, help="recognizer: zoo name, .onnx file or training run folder"
    )
    p.add_argument("--no-cls", action="store_true", help="skip the upside-down check of text lines")
    p.add_argument(
        "--min-score", type=float, default=0.5, help="drop lines read with a lower confidence"
    )
    p.add_argument(
        "--layout",
        choices=("auto", "columns", "rows", "none"),
        default="auto",
        help="reading order: columns read one after the other, rows (forms, receipts, tables) "
        "joined left to right; auto (default) finds columns and reads rows inside them",
    )
    p.add_argument(
        "--blocks",
        action="store_true",
        help="also find layout blocks (text, title, figure, table, header, footer) with the "
        "ppocr_layout.cdla model: they steer the reading order (--layout auto/columns), are "
        "in the --json output and drawn by --save",
    )
    p.add_argument(
        "--dpi", type=float, default=200.0, help="PDF rendering resolution (default 200)"
    )
    add_runtime_options(p)
    add_precision_options(p, calibrate_default="scikit-image's page.png and text.png")
    p.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (shown on terminals)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from foveal.cli.output import (
        check_writable_dir,
        progress,
        report_bad,
        require_inputs,
        stderr_is_terminal,
        use_runtime_options,
        write_jsonl,
    )
    from foveal.errors import ConfigError, FovealError
    from foveal.io import BatchReport, expand_sources, is_pdf, iter_sources
    from foveal.tasks.ocr import TextReader
    from foveal.tasks.ocr.blocks import DEFAULT_LAYOUT
    from foveal.tasks.ocr.cls import DEFAULT_CLS

    if not 0.0 <= args.min_score <= 1.0:
        raise ConfigError(f"--min-score must be between 0 and 1, got {args.min_score}")
    if not 10 <= args.dpi <= 1200:
        raise ConfigError(f"--dpi must be between 10 and 1200, got {args.dpi}")
    if args.calibrate is not None and args.precision != "int8":
        raise ConfigError("--calibrate goes with --precision int8; add it or drop --calibrate")
    use_runtime_options(args)
    save = check_writable_dir(args.save, option="--save") if args.save else None
    files = expand_sources(args.inputs, media=True)
    require_inputs(files, args.inputs, "images or PDFs")
    reader = TextReader(
        args.rec,
        cls=None if args.no_cls else DEFAULT_CLS,
        blocks=DEFAULT_LAYOUT if args.blocks else None,
        threads=args.threads,
        precision=args.precision,
        calibrate=args.calibrate,
    )
    if save:
        save.mkdir(parents=True, exist_ok=True)
    report = BatchReport()
    many = len(files) > 1
    shown = not args.no_progress and stderr_is_terminal()
    total, unit = _work(files) if shown else (None, "img")
    bar = progress(None, total=total, desc="read", unit=unit, enabled=shown)

    for path in files:
        key = "page" if is_pdf(path) else "frame"
        try:
            for item in iter_sources(path, dpi=args.dpi):  # PDFs: every page; videos: frames
                rgb = item.load()
                lines = reader.predict(rgb, text_score=args.min_score, layout=args.layout)
                if save:  # scan-p2.png for PDF page 2, clip-f30.png for video frame 30
                    tag = "" if item.index is None else f"-{key[0]}{item.index}"
                    _save(save / f"{path.stem}{tag}.png", rgb, lines)
                if args.json:
                    where = {key: item.index} if item.index is not None else {}
                    write_jsonl({"source": str(path), **where, **lines.to_dict()})
                else:
                    if many or item.index is not None:
                        print(f"==> {item.name} <==")
                    print(lines.text, flush=True)
                bar.update(1)
            report.ok += 1
        except FovealError as exc:
            report.add_bad(path, exc)
    bar.close()
    report_bad(report, as_json=args.json)
    return 1 if report.bad else 0


def _work(files: list[Path]) -> tuple[int | None, str]:
    """The progress bar's total and unit: an image counts one, a PDF its pages, a video its frames
    (a file that cannot be opened counts one: it is reported as skipped)."""
    from foveal.io import is_pdf, is_video_file
    from foveal.io.video import video_info

    total, kinds = 0, set()
    for f in files:
        if is_pdf(f):
            kinds.add("page")
            total += _page_count(f)
        elif is_video_file(f):
            kinds.add("frame")
            total += max(video_info(f)[1], 1)
        else:
            total += 1
    return total, ("page" if "page" in kinds else "frame" if kinds else "img")


def _page_count(path: Path) -> int:
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(str(path))
    except Exception:  # noqa: BLE001 - pdfium raises PdfiumError; reading reports it
        return 1
    try:
        return max(len(doc), 1)
    finally:
        doc.close()


def _save(dest: Path, rgb: np.ndarray, lines: TextLines) -> None:
    from foveal.viz import save_annotated

    save_annotated(dest, rgb, lines)  # line polygons and text; layout blocks numbered, by type
