"""foveal export MODEL -o FILE.onnx — ONNX export with a parity check."""

from __future__ import annotations

import argparse

# zoo tasks that are parts of a composite task -> the task whose exporter writes them
PART_OF = {"face_embed": "faces"}


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
    task = exporter_task(spec.task)
    if task is None:
        exportable = sorted({s.task for s in all_specs() if exporter_task(s.task) is not None})
        raise ConfigError(
            f"{spec.name} ({spec.task}) cannot be exported; exportable tasks: "
            f"{', '.join(exportable)}"
        )
    report = load_callable(TASKS[task].export)(spec, args.output, weights=args.weights)
    print(report)
    return 0
