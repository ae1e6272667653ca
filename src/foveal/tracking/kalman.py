"""A constant-velocity Kalman filter over boxes, batched: every track's state is one row.

The state is ``[cx, cy, a, h, vcx, vcy, va, vh]`` (centre, aspect ratio w/h, height and their
velocities), measured as ``xyah``; noise scales with the box height, as in SORT/ByteTrack.

>>> import numpy as np
>>> kf = BoxKalman()
>>> mean, cov = kf.initiate(np.array([[10.0, 20.0, 0.5, 40.0]]))
>>> for _ in range(3):                       # the box moves 2 px right per frame
...     mean, cov = kf.predict(mean, cov)
...     z = mean[:, :4].copy(); z[:, 0] = mean[:, 0] + 2
...     mean, cov = kf.update(mean, cov, z)
>>> bool(mean[0, 4] > 0.5)                   # it learnt a rightward velocity
True
"""

from __future__ import annotations

import numpy as np


def xyxy_to_xyah(boxes: np.ndarray) -> np.ndarray:
    """``(N, 4)`` xyxy boxes -> ``(N, 4)`` centre x, centre y, aspect (w/h), height.

    >>> xyxy_to_xyah(np.array([[0.0, 0.0, 10.0, 20.0]])).tolist()
    [[5.0, 10.0, 0.5, 20.0]]
    """
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    w = b[:, 2] - b[:, 0]
    h = np.maximum(b[:, 3] - b[:, 1], 1e-6)
    return np.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2, w / h, h], axis=1)


def xyah_to_xyxy(xyah: np.ndarray) -> np.ndarray:
    """Inverse of :func:`xyxy_to_xyah` (widths and heights below 0 become 0).

    >>> xyah_to_xyxy(np.array([[5.0, 10.0, 0.5, 20.0]])).tolist()
    [[0.0, 0.0, 10.0, 20.0]]
    """
    s = np.asarray(xyah, np.float64).reshape(-1, 4)
    h = np.maximum(s[:, 3], 0.0)
    w = np.maximum(s[:, 2] * h, 0.0)
    return np.stack([s[:, 0] - w / 2, s[:, 1] - h / 2, s[:, 0] + w / 2, s[:, 1] + h / 2], axis=1)


class BoxKalman:
    """Constant-velocity Kalman filter on ``xyah`` for N boxes at once (no per-track loop).

    Args:
        position_noise: standard deviation of position noise, as a fraction of box height.
        velocity_noise: standard deviation of velocity noise, as a fraction of box height.
    """

    def __init__(self, position_noise: float = 1 / 20, velocity_noise: float = 1 / 160) -> None:
        self.F = np.eye(8)
        self.F[:4, 4:] = np.eye(4)
        p, v = position_noise, velocity_noise
        # standard deviations = height * scale + constant (the aspect ratio's noise is fixed)
        self.init_scale = np.array([2 * p, 2 * p, 0, 2 * p, 10 * v, 10 * v, 0, 10 * v])
        self.init_const = np.array([0, 0, 1e-2, 0, 0, 0, 1e-5, 0])
        self.step_scale = np.array([p, p, 0, p, v, v, 0, v])
        self.step_const = np.array([0, 0, 1e-2, 0, 0, 0, 1e-5, 0])
        self.meas_scale = np.array([p, p, 0, p])
        self.meas_const = np.array([0, 0, 1e-1, 0])

    def initiate(self, xyah: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """New tracks at measurements ``(N, 4)``: mean ``(N, 8)`` (zero velocity) and covariance
        ``(N, 8, 8)``."""
        z = np.asarray(xyah, np.float64).reshape(-1, 4)
        mean = np.concatenate([z, np.zeros_like(z)], axis=1)
        std = z[:, 3:4] * self.init_scale + self.init_const
        cov = np.zeros((len(z), 8, 8))
        idx = np.arange(8)
        cov[:, idx, idx] = std**2
        return mean, cov

    def predict(self, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One step ahead for every row."""
        if not len(mean):
            return mean, cov
        std = mean[:, 3:4] * self.step_scale + self.step_const
        mean = mean @ self.F.T
        cov = self.F @ cov @ self.F.T
        idx = np.arange(8)
        cov[:, idx, idx] += std**2
        return mean, cov

    def update(
        self, mean: np.ndarray, cov: np.ndarray, xyah: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Correct every row with its measurement ``(N, 4)``."""
        if not len(mean):
            return mean, cov
        r = (mean[:, 3:4] * self.meas_scale + self.meas_const) ** 2
        proj_cov = cov[:, :4, :4].copy()  # H P H^T, as H selects the first four
        idx = np.arange(4)
        proj_cov[:, idx, idx] += r
        pht = cov[:, :, :4]  # P H^T: (N, 8, 4)
        # K = P H^T S^-1, i.e. S K^T = (P H^T)^T: one batched solve
        gain = np.linalg.solve(proj_cov, np.transpose(pht, (0, 2, 1))).transpose(0, 2, 1)
        innovation = np.asarray(xyah, np.float64).reshape(-1, 4) - mean[:, :4]
        mean = mean + np.einsum("nij,nj->ni", gain, innovation)
        cov = cov - gain @ proj_cov @ np.transpose(gain, (0, 2, 1))
        return mean, cov
