"""foveal data convert|check — object-detection datasets (Pascal VOC, COCO JSON, YOLO txt).

``foveal data check DATA`` sniffs the layout (``Annotations/`` = VOC, ``annotations/*.json`` or a
``.json`` file = COCO, ``data.yaml`` = YOLO); ``--format`` says it explicitly. It exits 0 when the
dataset is clean, 1 when problems are found (or the dataset cannot be read at all), never with a
stack trace. A folder that is no detection layout but an ImageFolder (``class/*.jpg``) is checked as
classification data (the same as ``foveal data check-images``).
"""

from __future__ import annotations

import argparse
import json
import sys

from foveal.cli.groups import group

_FORMATS = ("voc", "coco", "yolo")


def register(sub: argparse._SubParsersAction) -> None:
    data = group(sub, "data", "prepare, convert and check datasets")

    cv = data.add_parser(
        "convert",
        help="convert a detection dataset between Pascal VOC, COCO JSON and YOLO txt",
        description=(
            "Read a detection dataset and write it in another format (images are copied, or "
            "hard-linked with --images link). Boxes are written as they are; --fix clips boxes to "
            "the image and drops boxes with zero area."
        ),
        epilog="example: foveal data convert BCCD bccd_yolo --from voc --to yolo",
    )
    cv.add_argument("src", help="dataset folder, COCO .json file or YOLO data .yaml")
    cv.add_argument("dst", help="output folder (must not exist or be empty)")
    cv.add_argument(
        "--from",
        dest="src_format",
        choices=("auto", *_FORMATS),
        default="auto",
        help="input format (default: sniffed from the layout)",
    )
    cv.add_argument(
        "--to", dest="dst_format", choices=_FORMATS, required=True, help="output format"
    )
    cv.add_argument("--split", help="convert only this split (train, val, test ...)")
    cv.add_argument(
        "--classes", help="class names 'a,b,c' or a file with one a line (sets the order)"
    )
    cv.add_argument(
        "--images", choices=("copy", "link"), default="copy", help="copy or hard-link images"
    )
    cv.add_argument(
        "--fix", action="store_true", help="clip boxes to the image, drop zero-area boxes"
    )
    cv.add_argument("--json", action="store_true", help="print the result as JSON")
    cv.set_defaults(func=_convert)

    name = "check" if "check" not in data.choices else "check-detect"
    ck = data.add_parser(
        name,
        help=(
            "validate a detection dataset (VOC, COCO, YOLO): missing images, bad boxes, unknown "
            "classes"
        ),
        description=(
            "Check a detection dataset: corrupt label files, missing or unreadable images, size "
            "mismatches, boxes outside the image or with zero area, unknown classes, duplicate ids "
            "and images in two splits. Exit status 0: clean; 1: problems found."
        ),
        epilog="example: foveal data check BCCD --json > report.json",
    )
    ck.add_argument("data", help="dataset folder, COCO .json file or YOLO data .yaml")
    ck.add_argument(
        "--format",
        choices=("auto", *_FORMATS),
        default="auto",
        help="dataset format (default: sniffed from the layout)",
    )
    ck.add_argument("--split", help="check only this split")
    ck.add_argument("--classes", help="the expected class names 'a,b,c' or a file with one a line")
    ck.add_argument(
        "--no-verify-images",
        action="store_true",
        help="only check that image files exist (do not open their headers)",
    )
    ck.add_argument("--limit", type=int, default=20, help="problems listed per kind in text output")
    ck.add_argument("--json", action="store_true", help="print the full report as JSON")
    ck.set_defaults(func=_check)


def _classes(spec: str | None) -> list[str] | None:
    from foveal.data.detection import names_file_classes

    return names_file_classes(spec) if spec else None


def _convert(args: argparse.Namespace) -> int:

    from foveal.cli.output import check_writable_dir
    from foveal.data.check import check_detection
    from foveal.data.detection import DatasetError, fix_boxes, load_detection, save_detection

    dst = check_writable_dir(args.dst, option="DST")
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
        raise DatasetError(
            f"{dst} already exists and is not an empty folder; choose a new output folder"
        )
    fmt = None if args.src_format == "auto" else args.src_format
    try:
        ds = load_detection(args.src, fmt, split=args.split, classes=_classes(args.classes))
    except DatasetError as exc:
        raise DatasetError(
            f"{exc} (run `foveal data check {args.src}` for every problem at once)"
        ) from exc
    boxes = check_detection(ds, verify_images=False).counts()
    clipped = dropped = 0
    if args.fix:
        ds, clipped, dropped = fix_boxes(ds)
    out = save_detection(ds, dst, args.dst_format, images=args.images)
    result = {
        "source": str(args.src),
        "from": ds.format,
        "to": args.dst_format,
        "output": str(out),
        "images": len(ds),
        "boxes": ds.num_boxes,
        "classes": ds.classes,
        "clipped": clipped,
        "dropped": dropped,
    }
    if args.json:
        result["problems_before"] = boxes
        print(json.dumps(result, indent=2))
    else:
        print(
            f"wrote {args.dst_format} dataset {out}: {len(ds)} images, {ds.num_boxes} boxes, "
            f"classes {', '.join(ds.classes)}"
        )
        if args.fix:
            print(f"fixed: {clipped} boxes clipped to the image, {dropped} zero-area boxes dropped")
    if boxes and not args.fix:
        kinds = ", ".join(f"{k}={v}" for k, v in boxes.items())
        print(
            f"warning: copied as they are: {kinds} (see `foveal data check`; --fix clips/drops "
            "them)",
            file=sys.stderr,
        )
    return 0


def _looks_like_imagefolder(path: str) -> bool:
    """True for a folder whose sub-folders (or train/val/test sub-folders) hold images."""
    from pathlib import Path

    from foveal.io import is_image_file

    root = Path(path)
    if not root.is_dir():
        return False
    for cls in root.iterdir():
        if cls.is_dir() and any(is_image_file(f) or f.is_dir() for f in cls.iterdir()):
            return True
    return False


def _check(args: argparse.Namespace) -> int:
    from foveal.data.check import check_detection_path
    from foveal.data.detection import DatasetError

    if args.limit < 1:
        from foveal.errors import ConfigError

        raise ConfigError(f"--limit must be at least 1, got {args.limit}")
    fmt = None if args.format == "auto" else args.format
    try:
        report = check_detection_path(
            args.data,
            fmt,
            classes=_classes(args.classes),
            split=args.split,
            verify_images=not args.no_verify_images,
        )
    except DatasetError as exc:  # unreadable as a whole: still a report, exit 1
        if fmt is None and _looks_like_imagefolder(args.data):
            # not a detection layout but class folders of images: check it as classification data
            from foveal.cli.commands.data_images import run_check

            return run_check(argparse.Namespace(root=args.data, json=args.json))
        if args.json:
            print(
                json.dumps(
                    {
                        "ok": False,
                        "error": str(exc),
                        "problems": [
                            {"kind": "bad_layout", "source": str(args.data), "message": str(exc)}
                        ],
                    },
                    indent=2,
                )
            )
        else:
            print(f"{args.data}: cannot be checked: {exc}")
        return 1
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.to_text(limit=args.limit))
    return 0 if report.ok else 1
