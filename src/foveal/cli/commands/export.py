"""foveal export MODEL -o FILE.onnx — ONNX export with a parity check."""

from __future__ import annotations

import argparse

# task -> "module:function(spec, out, weights=...)" ; tasks add themselves here
EXPORTERS = {
    "classify": "foveal.tasks.classification:export_classifier",
    "detect": "foveal.tasks.detection:export_detector",
    "face_embed": "foveal.tasks.faces.dlib_resnet:export_dlib_resnet",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a model to ONNX (checked with the ONNX checker and against PyTorch)",
        epilog="example: foveal export mobilenet_v2.imagenet -o mobilenet_v2.onnx",
    )
    p.add_argument("model", help="zoo name")
    p.add_argument("-o", "--output", required=True, help="the .onnx file to write")
    p.add_argument("--weights", help="explicit weights file (default: the zoo's)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from foveal.errors import ConfigError
    from foveal.zoo import get
    from foveal.zoo.registry import load_callable

    spec = get(args.model)
    if spec.task not in EXPORTERS:
        raise ConfigError(f"{spec.name} ({spec.task}) cannot be exported; exportable tasks: {', '.join(EXPORTERS)}")
    report = load_callable(EXPORTERS[spec.task])(spec, args.output, weights=args.weights)
    print(report)
    return 0
