"""foveal sequence predict DATA --model RUN — classify CSV rows or clips with a trained sequence
model."""

from __future__ import annotations

import argparse

from foveal.cli.groups import group
from foveal.cli.output import add_runtime_options, use_runtime_options


def register(sub: argparse._SubParsersAction) -> None:
    seq = group(sub, "sequence", "sequence models: classify rows of features or video clips")
    p = seq.add_parser(
        "predict",
        help="classify each CSV row or clip with a model from 'foveal train sequence'",
        description="Print one line per CSV row (with or without a label column) or per clip: "
        "the class id, label and score. Rows of the wrong width or with non-numeric cells, and "
        "clips shorter than the model's window, are skipped with one line each on stderr (exit "
        "status 1 when any was skipped).",
        epilog="example: foveal sequence predict rows.csv --step-dims 2 --model runs/sequence/1 "
        "--json",
    )
    p.add_argument("data", help="a CSV of sequences, a video clip, or a folder of clips")
    p.add_argument("--model", required=True, help="run folder or model.onnx")
    p.add_argument("--step-dims", type=int, help="numbers per step (checked against the model)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    add_runtime_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from foveal.cli.output import write_jsonl
    from foveal.errors import ConfigError
    from foveal.io.video import is_video_file
    from foveal.tasks.sequence.clips import list_clips
    from foveal.tasks.sequence.predict import SequenceModel, check_step_dims

    use_runtime_options(args)
    data = Path(args.data)
    if not data.exists():
        raise ConfigError(f"{data}: no such file or folder; give a CSV, a clip or a clip folder")
    model = SequenceModel(args.model)
    check_step_dims(model, args.step_dims)
    if data.is_dir():
        clips = [c for c, _ in list_clips(data)] + sorted(
            c for c in data.iterdir() if c.is_file() and is_video_file(c)
        )
        preds, problems = model.predict_clips(clips)
    elif is_video_file(data):
        preds, problems = model.predict_clips([data])
    else:
        preds, problems = model.predict_csv(data)
    for row in preds.rows():
        if args.json:
            write_jsonl(row)
        else:
            print(f"{row['source']}  {row['label']}  {row['score']:.3f}")
    for line in problems:
        print(f"skipped {line}", file=sys.stderr)
    return 1 if problems else 0
