"""The backbone contract every task head relies on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from foveal.errors import FovealError


@dataclass(frozen=True)
class FeatureInfo:
    """One stage of a backbone: output channels, total stride, and the module producing it."""

    num_chs: int
    reduction: int
    module: str


class Backbone(nn.Module):
    """Base class: subclasses fill ``self.stages`` (an ``nn.Sequential`` of stage blocks),
    ``self._all_info`` (a FeatureInfo per stage), and optionally a classifier ``head``.

    With ``features_only`` the classifier is dropped and ``forward`` returns stage outputs.
    """

    stages: nn.Sequential
    _all_info: list[FeatureInfo]

    def _setup_features(self, features_only: bool, out_indices: Sequence[int] | None) -> None:
        n = len(self._all_info)
        idx = tuple(range(n)) if out_indices is None else tuple(int(i) % n for i in out_indices)
        if any(i >= n for i in idx):
            raise ValueError(f"out_indices {out_indices} out of range for {n} stages")
        self.features_only = features_only
        self.out_indices = idx

    @property
    def feature_info(self) -> list[FeatureInfo]:
        """Stages returned by ``forward`` when ``features_only`` (all stages otherwise)."""
        if self.features_only:
            return [self._all_info[i] for i in self.out_indices]
        return list(self._all_info)

    @property
    def num_features(self) -> int:
        """Channels of the last feature map (the pooled embedding size)."""
        return self._all_info[-1].num_chs

    def forward_stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return outs

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        for stage in self.stages:
            x = stage(x)
        return x

    def forward_head(self, x: torch.Tensor, *, pre_logits: bool = False) -> torch.Tensor:
        """Global-average-pooled features; backbones with a classifier override this to apply it."""
        if pre_logits:
            return x.mean(dim=(2, 3))
        raise FovealError(
            f"{type(self).__name__} has no classifier head: use forward_head(x, pre_logits=True), "
            "forward_features or features_only=True"
        )

    def forward(self, x: torch.Tensor):  # type: ignore[override]
        if self.features_only:
            outs = self.forward_stages(x)
            return [outs[i] for i in self.out_indices]
        return self.forward_head(self.forward_features(x))
