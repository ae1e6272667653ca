"""foveal embed DIR --extractor NAME --out features.parquet|.npy — feature vectors for many
images."""

from __future__ import annotations

import argparse

from foveal.cli.output import add_runtime_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "embed",
        help="compute feature vectors (learned or hand-crafted) for images and save them",
        description=(
            "Compute one feature vector per image and write a .parquet (path, vector) or .npy "
            "(+ .meta.json) table. Extractors: a zoo classifier (pooled features, NAME@K for "
            "stage K) or hog, sift_bovw, gabor, lbp, color_hist. Unreadable files are reported "
            "and skipped."
        ),
        epilog="example: foveal embed photos/ --extractor mobilenet_v2.imagenet "
        "--out features.parquet",
    )
    p.add_argument("inputs", nargs="+", help="image files, folders or glob patterns")
    p.add_argument(
        "--extractor",
        default="mobilenet_v2.imagenet",
        help="extractor name (default mobilenet_v2.imagenet)",
    )
    p.add_argument("--out", required=True, help="output file: .parquet or .npy")
    p.add_argument("--batch-size", type=int, default=16)
    add_runtime_options(p)
    p.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (shown on terminals)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    import numpy as np

    from foveal.cli.output import (
        check_writable_file,
        progress,
        report_bad,
        require_inputs,
        use_runtime_options,
    )
    from foveal.errors import ConfigError, FovealError
    from foveal.features import get_extractor
    from foveal.features.store import check_format, save_features
    from foveal.io import BatchReport, expand_sources

    if args.batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {args.batch_size}")
    use_runtime_options(args)
    check_format(args.out)
    check_writable_file(args.out, option="--out")
    files = expand_sources(args.inputs)
    require_inputs(files, args.inputs)
    extractor = get_extractor(args.extractor)
    if extractor.needs_fit:
        fit_on = fit_images(files)
        print(f"fitting {extractor.name} on {len(fit_on)} image(s)", file=sys.stderr)
        extractor.fit(fit_on)
    report = BatchReport()
    paths, rows = [], []
    stream = extractor.iter_extract(files, batch_size=args.batch_size, report=report)
    for src, vec in progress(stream, total=len(files), desc="embed", enabled=not args.no_progress):
        paths.append(str(src))
        rows.append(vec)
    report_bad(report, as_json=False)
    if not rows:
        raise FovealError(f"no readable image among {len(files)} input file(s); nothing written")
    vectors = np.stack(rows)
    written = save_features(args.out, paths, vectors, extractor.describe())
    print(
        f"wrote {len(paths)} x {vectors.shape[1]} {extractor.name} features to "
        f"{', '.join(map(str, written))} ({len(report.bad)} skipped)",
        file=sys.stderr,
    )
    return 1 if report.bad else 0


def fit_images(files: list, limit: int = 500) -> list:
    """The readable files a vocabulary is learned from (an even, deterministic sample of at
    most ``limit``)."""
    from foveal.errors import ImageError
    from foveal.io import load_image

    step = max(1, len(files) // limit)
    out = []
    for f in files[::step]:
        try:
            load_image(f)
        except ImageError:
            continue
        out.append(f)
    return out
