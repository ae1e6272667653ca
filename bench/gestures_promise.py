"""Gestures, the promise measured: LSTM / GRU / TCN vs an MLP on the flattened rows vs hand-crafted
motion features (logistic regression, 5-NN), all on the same split of
``../shared/data/gestures/point_history.csv`` (for each class the first 85% of its rows train,
the last 15% test, in recording order; never a random split).

Prints the table (accuracy on every test row), then per method the accuracy on the test rows that
hold a recorded motion and the recall per class, and the class balance of the test tail. The same
rows appear in ``foveal bench promise --tasks gestures``.

    nice -n 5 python bench/gestures_promise.py                 # about 8 minutes on 1 busy core
    nice -n 5 python bench/gestures_promise.py --epochs 5      # a quick look
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> int:
    from foveal.bench.promise import Settings, format_table
    from foveal.bench.promise.gestures import run_gestures

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=25, help="epochs per deep model (default 25)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--shared",
        default=os.environ.get(
            "FOVEAL_SHARED", str(Path(__file__).resolve().parents[2] / "shared")
        ),
        help="the shared data folder (default ../shared)",
    )
    args = ap.parse_args()
    cfg = Settings(
        seed=args.seed,
        shared=Path(args.shared),
        tasks=("gestures",),
        sequence_epochs=args.epochs,
        log=lambda m: print(m, file=sys.stderr, flush=True),
    )
    from foveal.train.seeding import seed_everything

    seed_everything(cfg.seed)
    rows = run_gestures(cfg)
    print(format_table(rows))
    print()
    print(f"{'method':<42} {'acc. (rows with motion)':>24}  recall per class")
    for r in rows:
        if r.skipped:
            continue
        recalls = "  ".join(
            f"{k[7:]} {v:.3f}" for k, v in r.extra.items() if k.startswith("recall_")
        )
        print(f"{r.method:<42} {r.extra['accuracy_rows_with_motion']:>24.4f}  {recalls}")
    print("\nfor reference (not rerun here): the dataset author's MLP, trained on all rows, 0.967")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
