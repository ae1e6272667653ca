"""foveal train ocr --synthetic | DATA_DIR — train foveal's CRNN text-line recognizer."""

from __future__ import annotations

import argparse

from foveal.cli.engine_options import add_engine_options, engine_config, print_fit_summary
from foveal.cli.groups import group


def register(sub: argparse._SubParsersAction) -> None:
    train = group(sub, "train", "train or fine-tune a model on your data")
    p = train.add_parser(
        "ocr",
        help="train a CRNN text-line recognizer (CNN + BiLSTM + CTC) on synthetic or your lines",
        description="Train foveal's CRNN recognizer on synthetic lines rendered with the DejaVu "
        "fonts (--synthetic), or on DATA_DIR of line images with NAME.gt.txt transcripts. The run "
        "folder gets model.onnx, usable with 'foveal read --rec RUN_DIR'.",
        epilog="example: foveal train ocr --synthetic --threads 1 --run-dir runs/ocr   "
        "(22 epochs x 4096 lines, about 20 minutes on one CPU core: held-out CER about 2%)",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--synthetic", action="store_true", help="train on freshly rendered synthetic lines"
    )
    src.add_argument("data", nargs="?", help="folder of line images with NAME.gt.txt transcripts")
    p.add_argument("--train-size", type=int, default=4096, help="synthetic lines per epoch")
    p.add_argument("--val-size", type=int, default=512, help="held-out synthetic lines")
    p.add_argument("--max-len", type=int, default=24, help="longest synthetic line (characters)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--width-mult", type=float, default=0.5, help="MobileNetV2 width of the CNN")
    p.add_argument("--hidden", type=int, default=96, help="LSTM hidden size per direction")
    p.add_argument("--layers", type=int, default=1, help="BiLSTM layers")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_engine_options(p, epochs=22)
    p.set_defaults(
        func=run, weight_decay=0.01, warmup=0.3, grad_clip=5.0
    )  # CTC: short warm-up, clipped


def run(args: argparse.Namespace) -> int:
    from foveal.tasks.ocr.train import OcrOptions, train_recognizer

    opts = OcrOptions(
        data=None if args.synthetic else args.data,
        train_size=args.train_size,
        val_size=args.val_size,
        max_len=args.max_len,
        batch_size=args.batch_size,
        width_mult=args.width_mult,
        hidden=args.hidden,
        layers=args.layers,
        seed=args.seed,
    )
    result = train_recognizer(opts, engine_config(args, 3e-3))
    f = result.final
    print_fit_summary(
        result,
        args,
        scores=f"val CER {f['cer']:.2%}, lines read exactly {f['line_accuracy']:.2%}",
        files="model.onnx, metrics.csv, loss.png",
        use="foveal read --rec {run_dir} IMAGE",
    )
    return 0
