"""foveal eval ocr IMAGES... — character and word error rates against transcripts."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from foveal.cli.groups import group
    from foveal.cli.output import add_runtime_options

    ev = group(sub, "eval", "evaluate models on labelled data")
    p = ev.add_parser(
        "ocr",
        help="OCR character/word error rates on images with transcripts",
        description="Read each image and compare with its transcript (NAME.gt.txt, "
        "NAME.gold.txt or NAME.txt next to it, or a --mapping file). Whitespace and line breaks "
        "are normalised to single spaces before scoring.",
        epilog="example: foveal eval ocr ../shared/data/ocr/pages/phototest.tif --json",
    )
    p.add_argument("inputs", nargs="*", help="images, folders or glob patterns")
    p.add_argument("--mapping", help="file of 'IMAGE<TAB>TRANSCRIPT' lines (paths relative to it)")
    p.add_argument(
        "--rec", default=None, help="recognizer: zoo name, .onnx file or training run folder"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_runtime_options(p)
    p.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (shown on terminals)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from foveal.cli.output import progress, use_runtime_options
    from foveal.errors import ConfigError
    from foveal.evaluate.ocr import evaluate_ocr, pairs_from
    from foveal.tasks.ocr import TextReader

    if not args.inputs and not args.mapping:
        raise ConfigError("give images/folders to evaluate, or --mapping FILE")
    use_runtime_options(args)
    pairs = pairs_from(args.inputs, args.mapping)
    reader = TextReader(args.rec, threads=args.threads)
    bar = progress(pairs, total=len(pairs), desc="eval ocr", enabled=not args.no_progress)
    report = evaluate_ocr(reader, bar)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        for p in [*report.pages, report.total]:
            print(
                f"{p.source}: CER {p.cer:.2%} ({p.char_errors}/{p.chars})  "
                f"WER {p.wer:.2%} ({p.word_errors}/{p.words})  {p.seconds:.2f}s"
            )
        for s, e in report.skipped:
            print(f"skipped {s}: {e}")
    return 1 if report.skipped else 0
