"""Quadrilateral helpers: point ordering, minimum-area rectangles, perspective crops, rotations.

Polygons are ``(4, 2)`` float32 arrays of ``(x, y)`` pixel coordinates, ordered clockwise from the
top-left corner of the text (top-left, top-right, bottom-right, bottom-left).

>>> import numpy as np
>>> order_clockwise(np.array([[10, 5], [0, 0], [10, 0], [0, 5]], np.float32)).tolist()
[[0.0, 0.0], [10.0, 0.0], [10.0, 5.0], [0.0, 5.0]]
"""

from __future__ import annotations

import numpy as np


def order_clockwise(pts: np.ndarray) -> np.ndarray:
    """Order 4 points as top-left, top-right, bottom-right, bottom-left (near-horizontal boxes)."""
    pts = np.asarray(pts, np.float32).reshape(4, 2)
    xs = pts[np.argsort(pts[:, 0], kind="stable")]
    left = xs[:2][np.argsort(xs[:2, 1], kind="stable")]
    right = xs[2:][np.argsort(xs[2:, 1], kind="stable")]
    return np.stack([left[0], right[0], right[1], left[1]]).astype(np.float32)


def min_area_quad(points: np.ndarray) -> tuple[np.ndarray, float]:
    """The minimum-area rotated rectangle around ``points``: ``(ordered corners, short side)``."""
    import cv2

    rect = cv2.minAreaRect(np.asarray(points, np.float32).reshape(-1, 1, 2))
    return order_clockwise(cv2.boxPoints(rect)), float(min(rect[1]))


def quad_size(quad: np.ndarray) -> tuple[float, float]:
    """``(width, height)`` of an ordered quadrilateral: the longer of each opposite edge pair."""
    w = max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[3] - quad[2]))
    h = max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2]))
    return float(w), float(h)


def crop_quad(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Rectify the inside of an ordered quadrilateral by a perspective warp (edges replicated)."""
    import cv2

    w, h = quad_size(quad)
    w, h = max(1, int(round(w))), max(1, int(round(h)))
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(np.asarray(quad, np.float32), dst)
    return cv2.warpPerspective(
        image, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )


def rotate_image(image: np.ndarray, k: int) -> np.ndarray:
    """Rotate by ``k`` quarter turns clockwise (contiguous copy)."""
    return np.ascontiguousarray(np.rot90(image, k=-(k % 4)))


def rotate_points(pts: np.ndarray, k: int, shape: tuple[int, int]) -> np.ndarray:
    """Map points of an image of ``shape`` (H, W) into the image turned ``k`` quarters clockwise.

    >>> rotate_points(np.array([[0.0, 0.0]]), 1, (10, 20)).tolist()   # top-left -> top-right
    [[10.0, 0.0]]
    """
    out = np.asarray(pts, np.float32).copy()
    h, w = shape[:2]
    for _ in range(k % 4):
        x, y = out[..., 0].copy(), out[..., 1].copy()
        out[..., 0] = h - y
        out[..., 1] = x
        h, w = w, h
    return out


def unrotate_points(pts: np.ndarray, k: int, shape: tuple[int, int]) -> np.ndarray:
    """Inverse of :func:`rotate_points`: ``shape`` is the (H, W) of the *original* image."""
    k %= 4
    h, w = shape[:2]
    rotated_shape = (h, w) if k % 2 == 0 else (w, h)
    return rotate_points(pts, (4 - k) % 4, rotated_shape)
