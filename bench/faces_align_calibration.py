"""How close is foveal's alignment (detector landmarks -> calibrated template) to dlib's own?

For every face of shared/data/faces/people that dlib's HOG detector also finds, prints the
Euclidean distance between dlib's descriptor computed on foveal's chip and on dlib's own chip
(dlib's 5-point shape predictor + get_face_chip), and the landmark positions in dlib's chip frame
(the numbers behind ``foveal.tasks.faces.align.DLIB_FACE_5``).

    python bench/faces_align_calibration.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FOVEAL_SHARED", ROOT.parent / "shared"))
os.environ.setdefault("FOVEAL_WEIGHTS_PATH", str(SHARED / "weights"))
sys.path.insert(0, str(ROOT / "src"))

# dlib's own 5-point chip template (dlib/image_transforms/interpolation.h, get_face_chip_details)
DLIB_5PT = np.array(
    [
        [0.8595674595992, 0.2134981538014],
        [0.6460604764104, 0.2289674387677],
        [0.1205750620789, 0.2137274526848],
        [0.3340850613712, 0.2290642403242],
        [0.4901123135679, 0.6277975316475],
    ]
)


def main() -> None:
    import dlib

    from foveal.io import expand_sources, load_image
    from foveal.tasks.faces import FaceDetector
    from foveal.tasks.faces.align import align_face, similarity_transform
    from foveal.tasks.faces.embed import packaged_path

    sp = dlib.shape_predictor(
        str(packaged_path("face-recognition-models", "shape_predictor_5_face_landmarks.dat"))
    )
    fr = dlib.face_recognition_model_v1(
        str(packaged_path("face-recognition-models", "dlib_face_recognition_resnet_model_v1.dat"))
    )
    hog = dlib.get_frontal_face_detector()
    pad = 0.25
    tpl = (pad + DLIB_5PT) / (1 + 2 * pad) * 150
    files = expand_sources(SHARED / "data/faces/people")
    for model in ("yunet.2023mar", "centerface.wider"):
        det = FaceDetector(model)
        dists, frames = [], []
        for f in files:
            img = load_image(f)
            faces = det(img)
            rects = hog(img, 1)
            for i in range(len(faces)):
                x1, y1, x2, y2 = faces.xyxy[i]
                hits = [
                    r
                    for r in rects
                    if min(x2, r.right()) > max(x1, r.left())
                    and min(y2, r.bottom()) > max(y1, r.top())
                ]
                if not hits:
                    continue
                shape = sp(img, hits[0])
                ref = np.asarray(fr.compute_face_descriptor(img, shape))
                ours = np.asarray(fr.compute_face_descriptor(align_face(img, faces.landmarks[i])))
                dists.append(float(np.linalg.norm(ours - ref)))
                pts = np.array([[p.x, p.y] for p in shape.parts()], float)
                m = similarity_transform(pts, tpl)
                frames.append(np.c_[faces.landmarks[i], np.ones(5)] @ m.T)
        frame = (np.mean(frames, 0) / 150) * (1 + 2 * pad) - pad
        print(
            f"{model}: {len(dists)} faces; descriptor distance foveal chip vs dlib chip: "
            f"median {np.median(dists):.3f}, max {np.max(dists):.3f} (same-person threshold 0.6)"
        )
        print(f"  landmarks in dlib's face frame: {np.round(frame, 4).tolist()}")


if __name__ == "__main__":
    main()
