"""foveal export MODEL -o FILE.onnx — ONNX export with a parity check."""

from __future__ import annotations

import argparse

# zoo tasks that are parts of a composite task -> the task whose exporter writes them
PART_OF = {"face_embed": "faces"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a model to ONNX (checked with the ONNX checker and against PyTorch)",
        epilog="example: foveal export mobilenet_v2.imagenet -o mobilenet_v2.onnx   "
        "int8: foveal export mobilenet_v2.imagenet -o m8.onnx --int8 --calibrate photos/",
    )
    p.add_argument("model", help="zoo name")
    p.add_argument("-o", "--output", required=True, help="the .onnx file to write")
    p.add_argument("--weights", help="explicit weights file (default: the zoo's)")
    p.add_argument(
        "--int8",
        action="store_true",
        help="write the static QDQ int8 quantisation (classification and detection models)",
    )
    p.add_argument(
        "--calibrate",
        metavar="DIR",
        help="with --int8: images to calibrate on (default: scikit-image's sample photos)",
    )
    p.set_defaults(func=run)


INT8_TASKS = ("classify", "detect")
"""Tasks with one network whose int8 file keeps its accuracy (docs/speed.md has the figures)."""


OCR_PARTS = ("ocr_det", "ocr_rec", "ocr_cls")
"""Zoo tasks of the networks :class:`~foveal.tasks.ocr.TextReader` runs together."""


def export_int8(args: argparse.Namespace, task: str) -> int:
    """``--int8``: quantise the task's model (cached under $FOVEAL_HOME/int8), copy it to -o."""
    from foveal.errors import ConfigError
    from foveal.tasks import TASKS
    from foveal.utils.files import atomic_copy

    if task not in INT8_TASKS:
        hint = (
            " (face embedders run int8 with 'foveal faces ... --precision int8'; docs/speed.md)"
            if task == "faces"
            else "; docs/speed.md lists what runs int8"
        )
        raise ConfigError(
            f"--int8 is offered for {', '.join(INT8_TASKS)} models; {args.model} is a {task} "
            f"model{hint}"
        )
    predictor = TASKS[task].predictor_class()(
        args.model, weights=args.weights, precision="int8", calibrate=args.calibrate
    )
    out = atomic_copy(predictor.model.path, args.output)
    print(f"{out}: int8 (static QDQ, per-channel) of {args.model}, from {predictor.model.path}")
    return 0


def exporter_task(zoo_task: str) -> str | None:
    """The :data:`~foveal.tasks.TASKS` entry whose ``export`` writes zoo models of ``zoo_task``
    (``None``: they cannot be exported).

    >>> exporter_task("classify"), exporter_task("face_embed"), exporter_task("face_detect")
    ('classify', 'faces', None)
    """
    from foveal.tasks import TASKS

    task = PART_OF.get(zoo_task, zoo_task)
    spec = TASKS.get(task)
    if spec is None or spec.export is None:
        return None
    return task


def run(args: argparse.Namespace) -> int:
    from foveal.cli.output import check_writable_file
    from foveal.errors import ConfigError
    from foveal.tasks import TASKS
    from foveal.zoo import all_specs, get, load_callable

    check_writable_file(args.output, option="-o")
    spec = get(args.model)
    if args.int8 and spec.task in OCR_PARTS:
        raise ConfigError(
            f"--int8 writes one file, and OCR's int8 is two (detector and recognizer, the "
            f"recognizer calibrated on the detector's lines); {spec.name} runs int8 with "
            "'foveal read --precision int8 [--calibrate DIR]' (cached under $FOVEAL_HOME/int8)"
        )
    task = exporter_task(spec.task)
    if task is None:
        exportable = sorted({s.task for s in all_specs() if exporter_task(s.task) is not None})
        raise ConfigError(
            f"{spec.name} ({spec.task}) cannot be exported; exportable tasks: "
            f"{', '.join(exportable)}"
        )
    if args.calibrate is not None and not args.int8:
        raise ConfigError("--calibrate goes with --int8; add --int8 or drop --calibrate")
    if args.int8:
        return export_int8(args, task)
    report = load_callable(TASKS[task].export)(spec, args.output, weights=args.weights)
    print(report)
    return 0
