"""Necks: fuse a backbone's multi-scale feature maps before a detection head."""

from foveal.nn.necks.pafpn import PAFPN

__all__ = ["PAFPN"]
