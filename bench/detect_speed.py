"""Detection speed, side by side in one run, on the same images.

1. foveal end to end (``Detector.predict`` on an RGB array: letterbox + ONNX Runtime + decode + NMS)
   vs a bare ``onnxruntime.InferenceSession.run`` on the same, already letterboxed tensor (same
   model file, same thread count). The difference is foveal's pipeline overhead (target <= 15 %).
2. For context: foveal's PyTorch backend, and Ultralytics YOLOv8n / YOLO11n ``predict`` built from
   their yaml files with RANDOM weights (speed only; nothing is downloaded), if ultralytics is
   installed (``pip install --no-deps ultralytics``, see requirements/bench.txt).

Measurements are interleaved in blocks (every image through one contender, then through the next,
alternating the order from repeat to repeat, with a 0.1 s pause and one untimed call before each
block): load from other processes hits all contenders alike, and no contender is timed while the
previous one's ONNX Runtime threads still spin (they do for about 50 ms after a run; image by image,
two spinning sessions time each other's spinning). Overhead is reported three ways
(median of medians, median of per-image paired ratios — the verdict —, best run per image) plus the
share of foveal's own steps (letterbox, decode + NMS) measured alone.

    python bench/detect_speed.py [--repeats 5] [--threads N] [--no-ultralytics]

3. ``--handwritten``: end to end FROM FILE, ``foveal.tasks.detect.Detector.predict(path)`` (its
   default thread plan: spinning as the machine's load allows) vs a hand-written OpenCV + ONNX
   Runtime pipeline (``cv2.imread``, resize, pad, ``session.run`` with ORT's defaults, numpy
   decode, ``cv2.dnn.NMSBoxesBatched``) on the same model file, at 1 and at 2 threads,
   interleaved in blocks in one run; both must give the same boxes. Target: foveal <= 1.05x the
   hand-written median.

    python bench/detect_speed.py --handwritten [--repeats 100]

   This is a shared virtual machine: a block's median moves by up to +-30% from one block to the
   next (other guests), so a run's ratio carries a few percent of noise. The run prints a bootstrap
   95% interval over its repeats next to the verdict. With 100 repeats (the default, about 100 s)
   four runs gave 2-thread ratios within 2% of each other (intervals about +-6%); runs of 30-60
   repeats swung from 0.93x to 1.12x.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FOVEAL_SHARED", ROOT.parent / "shared")).resolve()
os.environ.setdefault("FOVEAL_WEIGHTS_PATH", str(SHARED / "weights"))
os.environ.setdefault("FOVEAL_OFFLINE", "1")
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_CONFIG_DIR", tempfile.mkdtemp(prefix="ultralytics-cfg-"))


def load_images() -> dict[str, np.ndarray]:
    """Real photos of different sizes: skimage samples, a pedestrian video frame, blood smears."""
    import cv2

    from foveal.io import load_image
    from foveal.samples import sample_photos

    images = {name: load_image(p) for name, p in sample_photos().items()}
    cap = cv2.VideoCapture(str(SHARED / "data" / "video" / "vtest.avi"))
    for i in range(2):
        cap.set(cv2.CAP_PROP_POS_FRAMES, i * 300)
        ok, frame = cap.read()
        if ok:
            images[f"vtest#{i * 300}"] = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    cap.release()
    bccd = sorted((SHARED / "data" / "detection" / "bccd" / "BCCD" / "JPEGImages").glob("*.jpg"))[
        :2
    ]
    for p in bccd:
        images[f"bccd/{p.name}"] = load_image(p)
    return images


def timed(fn, *args, **kwargs) -> float:  # noqa: ANN001
    t = time.perf_counter()
    fn(*args, **kwargs)
    return (time.perf_counter() - t) * 1000.0


SETTLE_S = 0.1
"""Pause before each contender's block of files. Spinning idle threads keep spinning for about
50 ms after a run (measured: 0.05 CPU-seconds), taking a CPU from whatever runs next in the
process: interleaved image by image, two spinning sessions would time each other's spinning."""


def block(fn, files: list[Path]) -> list[float]:  # noqa: ANN001
    """ms of ``fn`` on each file, called back to back as a user's loop does, after a pause (the
    previous contender's threads go idle) and one untimed call (this one's are awake)."""
    time.sleep(SETTLE_S)
    fn(files[0])
    return [timed(fn, f) for f in files]


def handwritten_files(folder: Path) -> list[Path]:
    """Image files as users have them: blood smears (JPEG 640x480), pedestrian frames saved as
    JPEG (768x576), scikit-image's astronaut (PNG 512x512)."""
    import cv2

    from foveal.samples import sample_photos

    files = sorted((SHARED / "data" / "detection" / "bccd" / "BCCD" / "JPEGImages").glob("*.jpg"))
    files = files[100:106]
    cap = cv2.VideoCapture(str(SHARED / "data" / "video" / "vtest.avi"))
    for i in range(4):
        cap.set(cv2.CAP_PROP_POS_FRAMES, i * 200)
        ok, frame = cap.read()
        if ok:
            out = folder / f"vtest_{i * 200}.jpg"
            cv2.imwrite(str(out), frame, [cv2.IMWRITE_JPEG_QUALITY, 92])
            files.append(out)
    cap.release()
    return [*files, sample_photos()["astronaut"]]


class HandWritten:
    """The pipeline one writes by hand with OpenCV and ONNX Runtime (ORT's default session
    options, which spin), for YOLOX-Nano at 416x416."""

    def __init__(self, model: Path, threads: int, size: int = 416) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        self.sess = ort.InferenceSession(
            str(model), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self.size = size
        grids, strides = [], []
        for s in (8, 16, 32):
            n = size // s
            yv, xv = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
            grids.append(np.stack([xv, yv], -1).reshape(-1, 2))
            strides.append(np.full((n * n, 1), s))
        self.grid = np.concatenate(grids).astype(np.float32)
        self.stride = np.concatenate(strides).astype(np.float32)

    def __call__(self, path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        import cv2

        img = cv2.imread(str(path))
        h, w = img.shape[:2]
        r = min(self.size / h, self.size / w)
        nw, nh = int(w * r), int(h * r)
        canvas = np.full((self.size, self.size, 3), 114, np.uint8)
        canvas[:nh, :nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
        blob = canvas.transpose(2, 0, 1)[None].astype(np.float32)
        out = self.sess.run(None, {"images": blob})[0][0]
        cls = out[:, 5:].argmax(1)
        score = out[:, 4] * out[np.arange(len(out)), 5 + cls]
        keep = np.flatnonzero(score >= 0.25)
        xy = (out[keep, :2] + self.grid[keep]) * self.stride[keep]
        wh = np.exp(out[keep, 2:4]) * self.stride[keep]
        xywh = np.concatenate([xy - wh / 2, wh], 1) / r
        idx = cv2.dnn.NMSBoxesBatched(
            xywh.tolist(), score[keep].tolist(), cls[keep].tolist(), 0.25, 0.45
        )
        idx = np.asarray(idx, np.int64).reshape(-1)
        boxes = xywh[idx].copy()
        boxes[:, 2:] += boxes[:, :2]
        boxes[:, 0::2] = boxes[:, 0::2].clip(0, w)
        boxes[:, 1::2] = boxes[:, 1::2].clip(0, h)
        return boxes, score[keep][idx], cls[keep][idx]


def same_boxes(foveal_result, hand: tuple[np.ndarray, np.ndarray, np.ndarray]) -> bool:  # noqa: ANN001
    """The same boxes, classes and scores (within half a pixel and 1e-4), in any order."""
    boxes, scores, classes = hand
    if len(foveal_result) != len(boxes):
        return False
    a = np.lexsort((foveal_result.xyxy[:, 0], foveal_result.class_ids))
    b = np.lexsort((boxes[:, 0], classes))
    return bool(
        np.allclose(foveal_result.xyxy[a], boxes[b], atol=0.5)
        and np.array_equal(foveal_result.class_ids[a], classes[b])
        and np.allclose(foveal_result.scores[a], scores[b], atol=1e-4)
    )


def bootstrap_interval(
    ours: list[list[float]], theirs: list[list[float]], rounds: int = 2000
) -> tuple[float, float]:
    """95% interval of median(ours) / median(theirs), resampling whole repeats (a repeat's two
    blocks ran side by side, so they are drawn together)."""
    rng = np.random.default_rng(0)
    a, b = np.asarray(ours), np.asarray(theirs)
    ratios = []
    for _ in range(rounds):
        pick = rng.integers(0, len(a), len(a))
        ratios.append(np.median(a[pick]) / np.median(b[pick]))
    low, high = np.percentile(ratios, [2.5, 97.5])
    return float(low), float(high)


def handwritten(repeats: int) -> int:
    """Section 3: foveal from file vs the hand-written pipeline at 1 and 2 threads."""
    import onnxruntime as ort

    from foveal.runtime.threads import machine_load, usable_cpus
    from foveal.tasks.detect import Detector
    from foveal.zoo import get, resolve_weights

    model = resolve_weights(get("yolox_nano.coco"))
    folder = Path(tempfile.mkdtemp(prefix="detect-speed-"))
    files = handwritten_files(folder)
    print(
        f"# detect from file: foveal vs hand-written OpenCV + ONNX Runtime — {usable_cpus()} CPUs, "
        f"onnxruntime {ort.__version__}, {len(files)} files, {repeats} repeats after 2 warm-up "
        f"passes, interleaved in blocks (alternating who goes first); load average at start "
        f"{machine_load():.2f}"
    )
    loads = []
    verdicts = []
    for threads in (1, 2):
        det = Detector("yolox_nano.coco", threads=threads)
        hand = HandWritten(model, threads)
        plan = det.model.runner.plan
        mismatches = [f.name for f in files if not same_boxes(det.predict(f), hand(f))]
        contenders = {"foveal Detector.predict(path)": det.predict, "hand-written": hand}
        if threads > 1 and not plan.spin:  # the pipeline alone, with the hand-written spinning
            os.environ["FOVEAL_SPIN"] = "1"
            try:
                contenders["foveal, FOVEAL_SPIN=1"] = Detector(
                    "yolox_nano.coco", threads=threads
                ).predict
            finally:
                del os.environ["FOVEAL_SPIN"]
        times: dict[str, list[float]] = {k: [] for k in contenders}
        blocks: dict[str, list[list[float]]] = {k: [] for k in contenders}
        paired: list[float] = []
        names = list(contenders)
        paired_spin: list[float] = []
        for rep in range(repeats + 2):
            loads.append(machine_load())
            order = names if rep % 2 == 0 else names[::-1]
            got = {name: block(contenders[name], files) for name in order}
            if rep >= 2:
                for name, ms in got.items():
                    times[name].extend(ms)
                    blocks[name].append(ms)
                paired.extend(a / b for a, b in zip(got[names[0]], got[names[1]], strict=True))
                if len(names) > 2:
                    paired_spin.extend(
                        a / b for a, b in zip(got[names[2]], got[names[1]], strict=True)
                    )
        med = {k: statistics.median(v) for k, v in times.items()}
        ratio = med[names[0]] / med[names[1]]
        low, high = bootstrap_interval(blocks[names[0]], blocks[names[1]])
        ok = ratio <= 1.05 and not mismatches
        verdicts.append(ok)
        print(
            f"\n{threads} thread(s) (foveal plan: {plan.threads} threads, spin "
            f"{'on' if plan.spin else 'off'}: {plan.why})"
        )
        for k in names:
            print(
                f"  {k:<32} median {med[k]:7.2f} ms  min {min(times[k]):7.2f}  "
                f"p90 {float(np.percentile(times[k], 90)):7.2f}"
            )
        print(
            f"  foveal / hand-written: {ratio:.3f}x (medians), {statistics.median(paired):.3f}x "
            f"(median of {len(paired)} paired runs); same boxes on "
            f"{len(files) - len(mismatches)}/{len(files)} files"
            + (f" (differ: {', '.join(mismatches)})" if mismatches else "")
            + f"; target <= 1.05x: {'MET' if ok else 'NOT MET'}"
        )
        print(
            f"  95% interval of the medians' ratio over the {repeats} repeats (bootstrap): "
            f"{low:.3f}-{high:.3f}x (this machine's noise)"
        )
        if paired_spin:
            print(
                f"  foveal with spinning on / hand-written: {med[names[2]] / med[names[1]]:.3f}x "
                f"(medians), {statistics.median(paired_spin):.3f}x (paired): the pipeline alone, "
                "without foveal's busy-machine choice of no spinning"
            )
    print(
        f"\nload average during the run: median {statistics.median(loads):.2f}, "
        f"max {max(loads):.2f} (1-minute; {usable_cpus()} CPUs)"
    )
    return 0 if all(verdicts) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=None, help="default: 10, and 100 with --handwritten"
    )
    parser.add_argument(
        "--handwritten",
        action="store_true",
        help="only section 3: from file, foveal vs a hand-written OpenCV + ORT pipeline",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="intra-op threads (default: all CPUs)"
    )
    parser.add_argument("--no-ultralytics", action="store_true")
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args()
    if args.handwritten:
        return handwritten(args.repeats or 100)
    args.repeats = args.repeats or 10

    import onnxruntime as ort

    from foveal.runtime.onnx import default_threads
    from foveal.tasks.detect import Detector
    from foveal.zoo import get, resolve_weights

    threads = args.threads or default_threads()
    images = load_images()
    print(
        f"# detect speed — {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"{threads} threads, python {platform.python_version()}, onnxruntime {ort.__version__}"
    )
    print(
        f"# {len(images)} images: "
        + ", ".join(f"{k} {v.shape[1]}x{v.shape[0]}" for k, v in images.items())
    )
    print(f"# {args.repeats} repeats after 2 warm-up passes; medians in milliseconds per image\n")

    det = Detector("yolox_nano.coco", threads=threads)
    model_path = resolve_weights(get("yolox_nano.coco"))
    # the same session options foveal's OnnxModel uses, so only the pipeline around run() differs
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    spin = "1" if det.model.runner.plan.spin else "0"
    opts.add_session_config_entry("session.intra_op.allow_spinning", spin)
    bare = ort.InferenceSession(
        str(model_path), sess_options=opts, providers=["CPUExecutionProvider"]
    )
    tensors = {k: det.preprocess(v)[0][None] for k, v in images.items()}

    contenders: dict[str, object] = {
        "foveal detect (onnx, end to end)": lambda k: det.predict(images[k]),
        "bare onnxruntime session.run": lambda k: bare.run(None, {"images": tensors[k]}),
    }
    parts = {
        "  foveal letterbox only": lambda k: det.preprocess(images[k]),
        "  foveal decode + NMS only": None,  # filled below
    }
    raws = {k: bare.run(None, {"images": tensors[k]})[0][0] for k in images}
    contexts = {k: det.preprocess(v)[1] for k, v in images.items()}
    options = det.options()
    parts["  foveal decode + NMS only"] = lambda k: det.postprocess([raws[k]], contexts[k], options)

    notes: list[str] = []
    if not args.no_torch:
        tdet = Detector("yolox_nano.coco", backend="torch", threads=threads)
        contenders["foveal detect (torch backend)"] = lambda k: tdet.predict(images[k])
    if not args.no_ultralytics:
        try:
            import logging

            from ultralytics import YOLO
            from ultralytics.utils import LOGGER

            LOGGER.setLevel(logging.ERROR)
            bgr = {k: np.ascontiguousarray(v[..., ::-1]) for k, v in images.items()}
            for name in ("yolov8n", "yolo11n"):
                model = YOLO(
                    f"{name}.yaml"
                )  # built from the architecture file: random weights, no download
                for size in (416, 640):
                    contenders[f"ultralytics {name} predict, random weights, imgsz={size}"] = (
                        lambda k, m=model, s=size: m.predict(
                            bgr[k], imgsz=s, verbose=False, device="cpu"
                        )
                    )
        except Exception as exc:  # noqa: BLE001 - report, never fail the benchmark for the context peer
            notes.append(
                f"ultralytics could not run offline here ({type(exc).__name__}: {exc}); peer rows "
                "omitted"
            )

    everything = {**contenders, **{k: v for k, v in parts.items()}}
    times: dict[str, list[float]] = {name: [] for name in everything}
    names = list(everything)
    keys = list(images)
    for rep in range(args.repeats + 2):
        order = names if rep % 2 == 0 else names[::-1]  # alternate who goes first
        for name in order:  # each contender's block of images (see block())
            ms = block(everything[name], keys)
            if rep >= 2:
                times[name].extend(ms)

    med = {name: statistics.median(v) for name, v in times.items()}
    best = {name: min(v) for name, v in times.items()}
    base = med["bare onnxruntime session.run"]
    width = max(len(n) for n in med)
    print(
        f"{'contender':<{width}}  {'median ms':>9}  {'min ms':>7}  {'p90 ms':>7}  "
        f"{'median vs bare ORT':>18}"
    )
    for name in everything:
        p90 = float(np.percentile(times[name], 90))
        print(
            f"{name:<{width}}  {med[name]:9.2f}  {best[name]:7.2f}  {p90:7.2f}  "
            f"{med[name] / base:17.2f}x"
        )
    overhead = (med["foveal detect (onnx, end to end)"] / base - 1.0) * 100.0
    # best-of-repeats per image, summed over images (timeit-style: the least disturbed run of each
    # image)
    reps = args.repeats

    def per_image_best(name: str) -> float:
        runs = np.asarray(times[name]).reshape(reps, len(images))
        return float(runs.min(axis=0).sum())

    overhead_min = (
        per_image_best("foveal detect (onnx, end to end)")
        / per_image_best("bare onnxruntime session.run")
        - 1.0
    ) * 100.0
    # per-image paired overhead: robust to images of different sizes
    paired = []
    n = len(images)
    for i in range(len(times["bare onnxruntime session.run"])):
        paired.append(
            times["foveal detect (onnx, end to end)"][i] / times["bare onnxruntime session.run"][i]
            - 1.0
        )
    print()
    print(
        f"foveal pipeline overhead vs bare ONNX Runtime: {overhead:+.1f}% (median of medians), "
        f"{statistics.median(paired) * 100:+.1f}% (median of {len(paired)} paired runs over {n} "
        f"images), {overhead_min:+.1f}% (best run per image, summed); target <= 15%"
    )
    comp = (med["  foveal letterbox only"] + med["  foveal decode + NMS only"]) / base * 100.0
    print(
        f"foveal's own steps (letterbox + decode/NMS medians) are {comp:.1f}% of bare ONNX Runtime "
        "inference"
    )
    # Verdict on the paired estimator: each foveal run is compared with the bare run made right next
    # to it on the same image (alternating which goes first), so load from other processes cancels
    # best.
    paired_pct = statistics.median(paired) * 100
    print("verdict (median of paired runs):", "MET" if paired_pct <= 15.0 else "NOT MET")
    for note in notes:
        print("note:", note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
