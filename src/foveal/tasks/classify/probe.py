"""The linear-probe fast path: frozen-backbone features of fixed views of every image, computed
once (and shared between cross-validation folds), so that training the head costs nothing.

>>> import numpy as np
>>> views = probe_views("standard", hflip=True)
>>> views
('centre', 'flip')
>>> probe_views("standard", hflip=False)
('centre',)
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from foveal.zoo import Preprocess


def probe_views(augment: str, *, hflip: bool) -> tuple[str, ...]:
    """The fixed training views of each image for an augmentation preset (see
    :data:`foveal.tasks.classify.auto.PROBE_VIEWS`)."""
    views = ["centre"]
    if augment != "none" and hflip:
        views.append("flip")
    if augment == "strong":
        views += ["crop0", "crop1"]
    return tuple(views)


def view_tensor(image: np.ndarray, view: str, pp: Preprocess, seed: int) -> Any:
    """One view of an RGB image as the network's input tensor (C, H, W)."""
    import torch

    from foveal.data.transforms import eval_transform, train_transform

    if view in ("centre", "flip"):
        t = eval_transform(pp)(image)
        return t.flip(-1) if view == "flip" else t
    torch.manual_seed(seed)
    return train_transform("light", pp, hflip=False)(image)


def view_seed(path: Any, view: str) -> int:
    """A fixed seed per image and view (the same crop in every fold and run)."""
    return zlib.crc32(f"{path}|{view}".encode())


def key(path: Any) -> str:
    """The bank's key of an image: its resolved path (links to one file share features)."""
    return str(Path(path).resolve())


class FeatureBank:
    """Pooled features of ``(path, view)`` pairs, computed on demand in batches and kept.

    Args:
        net: the frozen zoo backbone (``forward_features`` + ``forward_head(pre_logits=True)``).
        pp: preprocessing of the network input.
        batch_size: images per forward pass.
    """

    def __init__(self, net: Any, pp: Preprocess, *, batch_size: int = 32) -> None:
        self.net = net.eval()
        self.pp = pp
        self.batch_size = batch_size
        self.store: dict[tuple[str, str], np.ndarray] = {}

    def features(
        self,
        samples: Sequence[tuple[Path, int]],
        images: Sequence[np.ndarray],
        views: Sequence[str],
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(N * len(views), D)`` features and their labels, computing only the missing ones."""
        import torch

        todo = [
            (i, v)
            for i, (p, _) in enumerate(samples)
            for v in views
            if (key(p), v) not in self.store
        ]
        with torch.no_grad():
            for k in range(0, len(todo), self.batch_size):
                chunk = todo[k : k + self.batch_size]
                x = torch.stack(
                    [
                        view_tensor(
                            images[i], v, self.pp, seed=zlib.crc32(f"{samples[i][0]}{v}".encode())
                        )
                        for i, v in chunk
                    ]
                )
                f = self.net.forward_head(self.net.forward_features(x), pre_logits=True)
                for (i, v), row in zip(chunk, f.numpy(), strict=True):
                    self.store[(key(samples[i][0]), v)] = row
        feats = np.stack([self.store[(key(p), v)] for p, _ in samples for v in views])
        labels = np.asarray([y for _, y in samples for _ in views], np.int64)
        return feats.astype(np.float32), labels
