"""foveal read IMAGE|PDF|DIR ... — OCR: text in reading order, as plain text or JSON lines."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "read",
        help="read the text in images and PDFs (OCR)",
        description="Read text from images, PDFs (every page), folders or glob patterns. "
        "Pages turned by 90/180/270 degrees are read upright. Unreadable files are reported and skipped.",
        epilog="example: foveal read scans/ --json --save annotated/ > text.jsonl",
    )
    p.add_argument("inputs", nargs="+", help="image files, PDFs, folders or glob patterns")
    p.add_argument("--json", action="store_true", help="one JSON object per image or PDF page (JSON lines)")
    p.add_argument("--save", metavar="DIR", help="write each page with its text lines drawn to DIR")
    p.add_argument("--rec", default=None, help="recognizer: zoo name, .onnx file or training run folder")
    p.add_argument("--no-cls", action="store_true", help="skip the upside-down check of text lines")
    p.add_argument("--min-score", type=float, default=0.5, help="drop lines read with a lower confidence")
    p.add_argument("--dpi", type=float, default=200.0, help="PDF rendering resolution (default 200)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from foveal.cli.output import report_bad, write_jsonl
    from foveal.errors import ConfigError, FovealError
    from foveal.io import BatchReport, load_image
    from foveal.tasks.ocr import TextReader
    from foveal.tasks.ocr.pdf import expand_inputs, is_pdf, render_pdf

    if not 0.0 <= args.min_score <= 1.0:
        raise ConfigError(f"--min-score must be between 0 and 1, got {args.min_score}")
    if not 10 <= args.dpi <= 1200:
        raise ConfigError(f"--dpi must be between 10 and 1200, got {args.dpi}")
    files = expand_inputs(args.inputs)
    kwargs = {"cls": None} if args.no_cls else {}
    if args.rec:
        kwargs["rec"] = args.rec
    reader = TextReader(text_score=args.min_score, **kwargs)
    save = Path(args.save) if args.save else None
    if save:
        save.mkdir(parents=True, exist_ok=True)
    report = BatchReport()
    many = len(files) > 1

    def pages(path: Path):
        if is_pdf(path):
            for number, rgb in render_pdf(path, dpi=args.dpi):
                yield f"{path}#page={number}", number, rgb
        else:
            yield str(path), None, load_image(path)

    for path in files:
        try:
            for source, number, rgb in pages(path):
                lines = reader.read_array(rgb)
                if save:
                    _save(save, path, number, rgb, lines)
                if args.json:
                    rec = {"source": str(path), **({"page": number} if number else {}), **lines.to_dict()}
                    write_jsonl(rec)
                else:
                    if many or number:
                        print(f"==> {source} <==")
                    print(lines.text, flush=True)
            report.ok += 1
        except FovealError as exc:
            report.add_bad(path, exc)
    report_bad(report, as_json=args.json)
    if not files:
        print("no images or PDFs found", file=sys.stderr)
    return 1 if report.bad else 0


def _save(folder, path, number, rgb, lines) -> None:
    import os
    import tempfile

    from PIL import Image

    from foveal.tasks.ocr.draw import draw_text_lines

    name = f"{path.stem}-p{number}.png" if number else f"{path.stem}.png"
    dest = folder / name
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".png", dir=folder)
    os.close(fd)
    try:
        Image.fromarray(draw_text_lines(rgb, lines)).save(tmp, format="PNG")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
