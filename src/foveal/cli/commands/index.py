"""foveal index build|search|dupes|info — image search and near-duplicates over a folder of
images (and video frames: every 25th by default, each an entry ``clip.mp4#N``)."""

from __future__ import annotations

import argparse

DEFAULT_INDEX = "foveal-index"
VIDEO_EVERY = 25
"""Videos are indexed one frame in 25 by default (about one a second), each frame its own entry
``clip.mp4#N``: consecutive frames are near-duplicates of each other."""


def register(sub: argparse._SubParsersAction) -> None:
    from foveal.cli.groups import group

    actions = group(
        sub, "index", "image search: build an embedding index, search it, find near-duplicates"
    )

    from foveal.cli.media import add_frame_options
    from foveal.cli.output import add_runtime_options

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--index", default=DEFAULT_INDEX, help=f"the index folder (default ./{DEFAULT_INDEX})"
        )
        p.add_argument(
            "--extractor",
            default=None,
            help="feature extractor (default: the index's own; mobilenet_v2.imagenet for a new "
            "index)",
        )
        add_runtime_options(p)

    b = actions.add_parser(
        "build",
        help="index images and video frames (incremental: adds new files, re-embeds changed "
        "ones, drops removed ones)",
        description="Index images, folders, glob patterns and videos. A video gives every N-th "
        f"frame (--every, default {VIDEO_EVERY}), each its own entry named clip.mp4#N; a changed "
        "video, or one sampled otherwise (another --every or --fps), is indexed again.",
        epilog="example: foveal index build photos/ --index photos.index",
    )
    b.add_argument("inputs", nargs="+", help="image files, folders, glob patterns or video files")
    common(b)
    b.add_argument("--batch-size", type=int, default=16)
    add_frame_options(b, every=VIDEO_EVERY)
    b.add_argument(
        "--no-prune", action="store_true", help="keep entries of files no longer in the folders"
    )
    b.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    b.set_defaults(func=run_build)

    s = actions.add_parser(
        "search",
        help="the indexed images most similar to a query image",
        epilog="example: foveal index search query.jpg -k 10 --index photos.index",
    )
    s.add_argument("image", help="the query image")
    common(s)
    s.add_argument("-k", type=int, default=10, help="how many results (default 10)")
    s.add_argument("--backend", choices=("auto", "exact", "faiss"), default="auto")
    s.add_argument("--nprobe", type=int, default=16, help="FAISS IVF lists to visit (default 16)")
    s.add_argument("--json", action="store_true", help="one JSON object per result")
    s.set_defaults(func=run_search)

    d = actions.add_parser(
        "dupes",
        help="groups of near-duplicate images (the index is updated with the inputs first)",
        epilog="example: foveal index dupes photos/ --threshold 0.8",
    )
    d.add_argument("inputs", nargs="*", help="folders/files to check (default: the whole index)")
    common(d)
    d.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="cosine similarity from which two images are duplicates (default 0.80, calibrated "
        "for CNN features)",
    )
    d.add_argument("--json", action="store_true", help="one JSON object per group")
    add_frame_options(d, every=VIDEO_EVERY)
    d.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    d.set_defaults(func=run_dupes)

    i = actions.add_parser("info", help="what an index holds")
    common(i)
    i.set_defaults(func=run_info)


def _open(args: argparse.Namespace, *, create: bool):
    from foveal.cli.output import check_writable_dir, use_runtime_options
    from foveal.features.index import ImageIndex

    use_runtime_options(args)
    if create:
        check_writable_dir(args.index, option="--index")
    extractor = args.extractor
    if create and extractor is None:
        from pathlib import Path

        from foveal.features.index import DB_NAME

        if not (Path(args.index) / DB_NAME).is_file():
            extractor = "mobilenet_v2.imagenet"
    return ImageIndex.open(args.index, extractor=extractor, create=create)


def _update(index, inputs, args) -> int:
    import sys

    from foveal.cli.output import progress, report_bad

    def bar(stream, total):
        return progress(stream, total=total, desc="index", enabled=not args.no_progress)

    stats = index.update(
        inputs,
        batch_size=getattr(args, "batch_size", 16),
        prune=not getattr(args, "no_prune", False),
        progress=bar,
        every=args.every,
        fps=args.fps,
    )
    report_bad(stats.report, as_json=False)
    print(f"{index.root}: {stats.summary()}; {len(index)} image(s) indexed", file=sys.stderr)
    return 1 if stats.report.bad else 0


def run_build(args: argparse.Namespace) -> int:
    from foveal.cli.media import check_frame_options
    from foveal.cli.output import require_inputs
    from foveal.errors import ConfigError
    from foveal.io import expand_sources

    if args.batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {args.batch_size}")
    check_frame_options(args)
    require_inputs(expand_sources(args.inputs, media=True), args.inputs, "images or videos")
    with _open(args, create=True) as index:
        return _update(index, args.inputs, args)


def run_search(args: argparse.Namespace) -> int:
    import sys

    from foveal.cli.output import write_jsonl
    from foveal.errors import ConfigError

    if args.k < 1:
        raise ConfigError(f"-k must be at least 1, got {args.k}")
    with _open(args, create=False) as index:
        hits = index.search(args.image, k=args.k, backend=args.backend, nprobe=args.nprobe)
    for rank, hit in enumerate(hits, 1):
        if args.json:
            write_jsonl({"rank": rank, **hit.to_dict()}, sys.stdout)
        else:
            print(f"{rank:>3}  {hit.score:.4f}  {hit.path}")
    return 0


def run_dupes(args: argparse.Namespace) -> int:
    import sys

    from foveal.cli.media import check_frame_options
    from foveal.cli.output import write_jsonl

    check_frame_options(args)
    rc = 0
    with _open(args, create=bool(args.inputs)) as index:
        if args.inputs:
            rc = _update(index, args.inputs, args)
        groups = index.dupes(threshold=args.threshold, under=args.inputs or None)
    for n, grp in enumerate(groups, 1):
        if args.json:
            write_jsonl({"group": n, "files": [h.to_dict() for h in grp]}, sys.stdout)
        else:
            print(f"group {n}: {len(grp)} files")
            for h in grp:
                print(f"  {h.score:.4f}  {h.path}")
    if not args.json:
        print(f"{len(groups)} group(s) of near-duplicates")
    return rc


def run_info(args: argparse.Namespace) -> int:
    import json

    with _open(args, create=False) as index:
        print(json.dumps(index.info(), indent=2))
    return 0
