"""foveal eval restore REFERENCES — PSNR/SSIM of a restoration model against clean images."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from foveal.cli.groups import group
    from foveal.cli.output import add_runtime_options

    ev = group(sub, "eval", "evaluate models on labelled data")
    p = ev.add_parser(
        "restore",
        help="restoration PSNR/SSIM against clean reference images",
        description="Restore degraded images (--images DIR, named like the references) or the "
        "references degraded on the fly (--degrade SPEC, fixed --seed), and report mean PSNR "
        "and SSIM (scikit-image) before and after, and seconds per image.",
        epilog="example: foveal eval restore clean/ --degrade gaussian:25",
    )
    p.add_argument("references", help="folder of clean reference images")
    p.add_argument("--images", help="folder of degraded images with the references' names")
    p.add_argument("--degrade", help="degrade the references instead, e.g. gaussian:25")
    p.add_argument("--model", help="run folder or .onnx file (default: the shipped denoiser)")
    p.add_argument("--seed", type=int, default=0, help="seed of --degrade (default 0)")
    p.add_argument("--tile", type=int, default=512, help="tile side in pixels (default 512)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_runtime_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from foveal.cli.output import use_runtime_options
    from foveal.tasks.restore.evaluate import evaluate_restorer

    use_runtime_options(args)
    rep = evaluate_restorer(
        args.references,
        images=args.images,
        degrade=args.degrade,
        model=args.model,
        seed=args.seed,
        tile=args.tile,
    )
    unpaired = rep["references_without_image"]
    if unpaired:  # said, not silently left out of the means
        print(
            f"foveal eval restore: {len(unpaired)} reference(s) have no degraded image of the "
            f"same name in {args.images} (e.g. {unpaired[0]!r}); scored on the "
            f"{rep['images']} pair(s)",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(rep, indent=2))
        return 0
    for r in rep["per_image"]:
        print(
            f"{r['image']}: PSNR {r['psnr_input']:.2f} -> {r['psnr']:.2f} dB, "
            f"SSIM {r['ssim_input']:.3f} -> {r['ssim']:.3f}"
        )
    print(
        f"{rep['model']} on {rep['images']} images: PSNR {rep['psnr_input']:.2f} -> "
        f"{rep['psnr']:.2f} dB, SSIM {rep['ssim_input']:.3f} -> {rep['ssim']:.3f}, "
        f"{rep['seconds_per_image']:.3f} s/image"
    )
    return 0
