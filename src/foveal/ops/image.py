"""Image geometry shared by the tasks: letterboxing."""

from __future__ import annotations

import numpy as np

from foveal.errors import ImageError


def letterbox(
    image: np.ndarray, size: tuple[int, int] = (416, 416), *, pad: int = 114, bgr: bool = True
) -> tuple[np.ndarray, float]:
    """Resize an RGB ``uint8`` image to fit ``size`` (h, w) keeping its aspect ratio, top-left
    aligned.

    Returns ``(tensor, ratio)``: a float32 ``(3, h, w)`` array (BGR 0-255 when ``bgr``) padded with
    ``pad``, and the scale ``ratio`` so that ``input_xy = original_xy * ratio``.

    >>> x, r = letterbox(np.zeros((480, 640, 3), np.uint8), (416, 416))
    >>> x.shape, round(r, 3)
    ((3, 416, 416), 0.65)
    """
    import cv2

    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ImageError(
            f"letterbox expects an RGB uint8 array (H, W, 3); got {image.shape} {image.dtype}. "
            "Use foveal.io.load_image first."
        )
    h0, w0 = image.shape[:2]
    th, tw = int(size[0]), int(size[1])
    ratio = min(th / h0, tw / w0)
    nh, nw = max(1, int(h0 * ratio)), max(1, int(w0 * ratio))
    if (nh, nw) != (h0, w0):
        image = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
    # one float32 canvas; OpenCV splits the resized image into planes (SIMD), each plane is
    # converted straight into its channel (RGB -> BGR by the plane order) and only the padding
    # is filled: measured 0.37 ms vs 0.60 ms for a strided HWC -> CHW write into a pre-filled
    # canvas, and 0.50 ms for pad + blobFromImage (640x480 -> 416, one thread)
    out = np.empty((3, th, tw), np.float32)
    planes = cv2.split(image)
    for channel, plane in zip(out, planes[::-1] if bgr else planes, strict=True):
        channel[:nh, :nw] = plane
        channel[nh:] = pad
        channel[:nh, nw:] = pad
    return out, ratio
