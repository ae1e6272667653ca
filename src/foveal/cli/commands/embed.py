"""foveal embed DIR|VIDEO --extractor NAME --out features.parquet|.npy — feature vectors for many
images."""

from __future__ import annotations

import argparse

from foveal.cli.media import add_frame_options
from foveal.cli.output import add_runtime_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "embed",
        help="compute feature vectors (learned or hand-crafted) for images and save them",
        description=(
            "Compute one feature vector per image and write a .parquet (path, vector) or .npy "
            "(+ .meta.json) table. Extractors: a zoo classifier (pooled features, NAME@K for "
            "stage K) or hog, sift_bovw, gabor, lbp, color_hist. Videos give every N-th frame "
            "(--every), each a row named clip.mp4#N. Unreadable files are reported and skipped."
        ),
        epilog="example: foveal embed photos/ --extractor mobilenet_v2.imagenet "
        "--out features.parquet",
    )
    p.add_argument("inputs", nargs="+", help="image files, folders, glob patterns or video files")
    p.add_argument(
        "--extractor",
        default="mobilenet_v2.imagenet",
        help="extractor name (default mobilenet_v2.imagenet)",
    )
    p.add_argument("--out", required=True, help="output file: .parquet or .npy")
    p.add_argument("--batch-size", type=int, default=16)
    add_frame_options(p)
    add_runtime_options(p)
    p.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (shown on terminals)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    import numpy as np

    from foveal.cli.media import check_frame_options, media_total
    from foveal.cli.output import (
        check_writable_file,
        progress,
        report_bad,
        require_inputs,
        stderr_is_terminal,
        use_runtime_options,
    )
    from foveal.errors import ConfigError, FovealError
    from foveal.features import get_extractor
    from foveal.features.base import fit_sample
    from foveal.features.store import check_format, save_features
    from foveal.io import BatchReport, expand_sources, iter_sources

    if args.batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {args.batch_size}")
    check_frame_options(args)
    use_runtime_options(args)
    check_format(args.out)
    check_writable_file(args.out, option="--out")
    files = expand_sources(args.inputs, media=True)
    require_inputs(files, args.inputs, "images or videos")
    extractor = get_extractor(args.extractor)
    if extractor.needs_fit:
        fit_on = fit_sample(files, args.every, fps=args.fps)
        print(f"fitting {extractor.name} on {len(fit_on)} image(s)", file=sys.stderr)
        extractor.fit(fit_on)
    report = BatchReport()
    paths, rows = [], []
    items = iter_sources(files, every=args.every, report=report, fps=args.fps)
    stream = extractor.iter_extract(items, batch_size=args.batch_size, report=report)
    shown = not args.no_progress and stderr_is_terminal()
    total, unit = media_total(files, args.every, args.fps) if shown else (None, "img")
    for item, vec in progress(stream, total=total, desc="embed", unit=unit, enabled=shown):
        paths.append(item.name)  # a video frame is named clip.mp4#12
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
