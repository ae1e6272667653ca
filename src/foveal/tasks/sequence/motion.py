"""Hand-crafted motion features of 2-D point tracks (the classical baseline for gestures).

Per track of T points: displacement (start to end), path length, speed statistics, turning angles
(signed sum = winding, absolute sum, spread), signed area swept (shoelace), straightness, extent
and the number of steps without motion.

>>> import numpy as np
>>> t = np.linspace(0, 2 * np.pi, 16)
>>> ccw = np.stack([np.cos(t), np.sin(t)], 1)[None]          # counter-clockwise in x-right, y-up
>>> f = motion_features(ccw)
>>> f.shape, bool(f[0, FEATURE_NAMES.index("winding")] > 5)
((1, 15), True)
"""

from __future__ import annotations

import numpy as np

FEATURE_NAMES = (
    "dx",
    "dy",
    "displacement",
    "path_length",
    "speed_mean",
    "speed_std",
    "speed_max",
    "winding",
    "turning_abs",
    "turning_std",
    "signed_area",
    "straightness",
    "width",
    "height",
    "still_steps",
)


def motion_features(tracks: np.ndarray, *, still: float = 1e-6) -> np.ndarray:
    """``(N, 15)`` float32 features (:data:`FEATURE_NAMES`) of ``(N, T, 2)`` point tracks.

    Args:
        still: a step shorter than this counts as no motion (and has no direction).
    """
    p = np.asarray(tracks, np.float64)
    if p.ndim != 3 or p.shape[2] != 2 or p.shape[1] < 2:
        from foveal.errors import ConfigError

        raise ConfigError(f"motion features need (N, T>=2, 2) point tracks, got {p.shape}")
    d = np.diff(p, axis=1)  # (N, T-1, 2)
    speed = np.linalg.norm(d, axis=2)
    moving = speed > still
    disp = p[:, -1] - p[:, 0]
    path = speed.sum(1)
    ang = np.arctan2(d[..., 1], d[..., 0])
    turn = np.angle(np.exp(1j * np.diff(ang, axis=1)))  # wrapped to (-pi, pi]
    valid = moving[:, 1:] & moving[:, :-1]
    turn = np.where(valid, turn, 0.0)
    n_valid = np.maximum(valid.sum(1), 1)
    turn_mean = turn.sum(1) / n_valid
    turn_std = np.sqrt(np.maximum((turn**2).sum(1) / n_valid - turn_mean**2, 0.0))
    x, y = p[..., 0], p[..., 1]
    area = 0.5 * (x[:, :-1] * y[:, 1:] - x[:, 1:] * y[:, :-1]).sum(1)
    out = np.stack(
        [
            disp[:, 0],
            disp[:, 1],
            np.linalg.norm(disp, axis=1),
            path,
            speed.mean(1),
            speed.std(1),
            speed.max(1),
            turn.sum(1),
            np.abs(turn).sum(1),
            turn_std,
            area,
            np.linalg.norm(disp, axis=1) / np.maximum(path, still),
            np.ptp(x, axis=1),
            np.ptp(y, axis=1),
            (~moving).sum(1),
        ],
        axis=1,
    )
    return out.astype(np.float32)
