"""Face alignment: a similarity transform from 5 detected landmarks to a fixed chip template.

The default template reproduces dlib's ``get_face_chip(img, shape, size=150, padding=0.25)``, the
crop dlib's ResNet face descriptor was trained on. dlib aligns with its own 5-point shape predictor
(eye corners and nose base); foveal's detectors give eye centres, nose tip and mouth corners, so
the template below was calibrated: on the 22 faces of ``shared/data/faces/people`` the detected
landmarks of YuNet and CenterFace were mapped into dlib's own chip (dlib's 5-point model and its
template from ``get_face_chip_details``), averaged and made left-right symmetric
(``bench/faces_align_calibration.py`` re-measures it). Positions are in dlib's normalised face
frame, mapped through its padding formula ``(padding + p) / (1 + 2 * padding) * size``.

>>> import numpy as np
>>> t = dlib_template(150, 0.25)
>>> t.shape, bool(t[0, 0] < t[1, 0])
((5, 2), True)
"""

from __future__ import annotations

import cv2
import numpy as np

# Eye centres, nose tip and mouth corners in dlib's normalised face frame (x, y in [0, 1]), in the
# landmark order of foveal.results.Faces (the subject's right eye first, on the image's left).
DLIB_FACE_5 = np.array(
    [
        [0.2051, 0.1950],  # right eye centre
        [0.7751, 0.1950],  # left eye centre
        [0.4901, 0.5280],  # nose tip
        [0.2421, 0.7850],  # right mouth corner
        [0.7381, 0.7850],  # left mouth corner
    ],
    dtype=np.float64,
)

# The 112x112 template of ArcFace-style (InsightFace) embedders, same landmark order.
ARCFACE_112 = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)


def dlib_template(size: int = 150, padding: float = 0.25) -> np.ndarray:
    """Pixel positions of the 5 landmarks in a dlib-style ``size`` x ``size`` chip."""
    return (padding + DLIB_FACE_5) / (2 * padding + 1) * size


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation) mapping ``src`` onto ``dst``
    (Umeyama 1991), as a 2x3 matrix for :func:`cv2.warpAffine`.

    >>> src, dst = np.array([[0, 0], [1, 0], [0, 1.]]), np.array([[1, 1], [3, 1], [1, 3.]])
    >>> (similarity_transform(src, dst).round(6) + 0.0).tolist()  # + 0.0: no signed zeros
    [[2.0, 0.0, 1.0], [0.0, 2.0, 1.0]]
    """
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s0, d0 = src - mu_s, dst - mu_d
    var_s = (s0**2).sum() / len(src)
    cov = d0.T @ s0 / len(src)
    u, sig, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1
    rot = u @ np.diag(d) @ vt
    scale = (sig * d).sum() / max(var_s, 1e-12)
    t = mu_d - scale * rot @ mu_s
    return np.hstack([scale * rot, t[:, None]])


def align_face(
    image: np.ndarray,
    landmarks: np.ndarray,
    *,
    size: int = 150,
    template: np.ndarray | None = None,
) -> np.ndarray:
    """Cut out one face as a ``size`` x ``size`` RGB chip, upright and scaled to the template.

    Faces much larger than the chip are first shrunk with area averaging (like dlib's pyramid),
    so big photos do not alias. Pixels outside the image are black, as in dlib.
    """
    tpl = dlib_template(size) if template is None else np.asarray(template, np.float64)
    lms = np.asarray(landmarks, np.float64).reshape(5, 2)
    m = similarity_transform(lms, tpl)
    s = float(np.hypot(m[0, 0], m[0, 1]))
    src = image
    if s < 0.5:
        inv = cv2.invertAffineTransform(m)
        corners = (
            np.array([[0, 0, 1], [size, 0, 1], [0, size, 1], [size, size, 1]], np.float64) @ inv.T
        )
        h, w = image.shape[:2]
        x0 = int(np.clip(np.floor(corners[:, 0].min()) - 2, 0, w - 1))
        y0 = int(np.clip(np.floor(corners[:, 1].min()) - 2, 0, h - 1))
        x1 = int(np.clip(np.ceil(corners[:, 0].max()) + 2, x0 + 1, w))
        y1 = int(np.clip(np.ceil(corners[:, 1].max()) + 2, y0 + 1, h))
        crop = image[y0:y1, x0:x1]
        nw, nh = max(1, round((x1 - x0) * s)), max(1, round((y1 - y0) * s))
        src = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA)
        fx, fy = nw / (x1 - x0), nh / (y1 - y0)
        # chip = A p + t with p = (q_x / fx + x0, q_y / fy + y0) for q in the shrunk crop
        a = m[:, :2]
        m = np.hstack([a @ np.diag([1 / fx, 1 / fy]), (a @ np.array([x0, y0]) + m[:, 2])[:, None]])
    return cv2.warpAffine(
        np.ascontiguousarray(src),
        m,
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(0, 0, 0),
    )
