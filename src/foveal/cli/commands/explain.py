"""foveal explain IMAGE ... — Grad-CAM heat maps saved as PNG overlays."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "explain",
        help="show where a classifier looks (Grad-CAM heat map overlays as PNG)",
        epilog="example: foveal explain cat.jpg --model runs/classify/1 --out cams/",
    )
    p.add_argument("inputs", nargs="+", help="image files, folders or glob patterns")
    p.add_argument(
        "--model", default="mobilenet_v2.imagenet", help="zoo classifier or training run folder"
    )
    p.add_argument(
        "--class", dest="target", help="explain this class (name or index) instead of the top one"
    )
    p.add_argument(
        "--out",
        default="explain",
        help="output folder (default ./explain), or a .png for one image",
    )
    p.add_argument("--alpha", type=float, default=0.45, help="heat map opacity")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys
    from pathlib import Path

    from foveal.cli.output import check_writable_dir, check_writable_file, require_inputs, skip_line
    from foveal.errors import ConfigError, FovealError
    from foveal.io import expand_sources
    from foveal.runtime.open import looks_like_path, not_a_model
    from foveal.tasks.classify.explain import explain, load_torch_classifier

    if not 0 <= args.alpha <= 1:
        raise ConfigError(f"--alpha must be within 0..1, got {args.alpha}")
    files = expand_sources(args.inputs)
    require_inputs(files, args.inputs)
    out = Path(args.out)
    if out.suffix.lower() == ".png" and len(files) > 1:
        raise ConfigError(
            f"--out {out} is one PNG file but {len(files)} images were given; pass a folder"
        )
    if out.suffix.lower() == ".png":
        check_writable_file(out, option="--out")
    else:
        check_writable_dir(out, option="--out")
    if looks_like_path(args.model) and not Path(args.model).exists():
        raise not_a_model(args.model)
    loaded = load_torch_classifier(args.model)
    bad = 0
    for f in files:
        dest = out if out.suffix.lower() == ".png" else out / f"{Path(f).stem}_gradcam.png"
        try:
            res = explain(f, target=args.target, out=dest, alpha=args.alpha, loaded=loaded)
        except FovealError as exc:
            if isinstance(exc, ConfigError):
                raise
            bad += 1
            print(skip_line(str(f), str(exc)), file=sys.stderr)
            continue
        if args.json:
            print(json.dumps({"source": str(f), **res.to_dict()}))
        else:
            print(f"{f}: {res.name} ({res.score:.3f}) -> {res.path}")
    return 1 if bad else 0
