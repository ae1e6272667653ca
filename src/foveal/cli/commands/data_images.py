"""foveal data split | check-images | fashion-mnist — ImageFolder datasets for classification.

``check-images`` (not ``check``) because other dataset formats (detection) add their own checks
to the shared ``data`` group.
"""

from __future__ import annotations

import argparse

from foveal.cli.groups import group


def register(sub: argparse._SubParsersAction) -> None:
    data = group(sub, "data", "prepare and check datasets")
    p = data.add_parser(
        "split",
        help="stratified train/val(/test) split of an ImageFolder (class/*.jpg)",
        epilog="example: foveal data split photos/ data/ --val 0.2 --test 0.1",
    )
    p.add_argument("src", help="ImageFolder root: SRC/<class>/*.jpg")
    p.add_argument("out", help="new folder for OUT/train, OUT/val, OUT/test")
    p.add_argument(
        "--val", type=float, default=0.2, help="share of each class for validation (default 0.2)"
    )
    p.add_argument(
        "--test", type=float, default=0.0, help="share of each class for testing (default 0)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--mode", choices=("copy", "hardlink", "symlink"), default="copy")
    p.set_defaults(func=run_split)

    c = data.add_parser(
        "check-images",
        help="check an ImageFolder: unreadable images, empty classes, duplicates across splits",
        epilog="example: foveal data check-images data/",
    )
    c.add_argument("root", help="ImageFolder root (with or without train/ val/ test/)")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=run_check)

    f = data.add_parser(
        "fashion-mnist",
        help="write Fashion-MNIST (Debian dataset-fashion-mnist) as an ImageFolder",
        epilog="example: foveal data fashion-mnist data/fashion-mnist",
    )
    f.add_argument("out", help="output folder (gets train/<class>/*.png and test/<class>/*.png)")
    f.add_argument(
        "--source",
        default="/usr/share/datasets/fashion-mnist",
        help="folder with the IDX .gz files",
    )
    f.add_argument("--limit-per-class", type=int, help="first N images of each class per split")
    f.set_defaults(func=run_fashion)


def run_split(args: argparse.Namespace) -> int:
    from foveal.cli.output import check_writable_dir
    from foveal.data.check_images import split_imagefolder

    check_writable_dir(args.out, option="OUT")
    counts = split_imagefolder(
        args.src, args.out, val=args.val, test=args.test, seed=args.seed, mode=args.mode
    )
    print(", ".join(f"{k}: {v} images" for k, v in counts.items()) + f" -> {args.out}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    import json

    from foveal.data.check_images import check_imagefolder

    rep = check_imagefolder(args.root)
    print(json.dumps(rep.to_dict()) if args.json else rep.summary())
    return 0 if rep.ok else 1


def run_fashion(args: argparse.Namespace) -> int:
    from foveal.cli.output import check_writable_dir
    from foveal.data.fashion_mnist import to_imagefolder

    check_writable_dir(args.out, option="OUT")
    counts = to_imagefolder(args.out, source=args.source, limit_per_class=args.limit_per_class)
    print(", ".join(f"{k}: {v} images" for k, v in counts.items()) + f" -> {args.out}")
    return 0
