"""Task heads on top of backbone / neck features."""

from foveal.nn.heads.yolox import YOLOXHead

__all__ = ["YOLOXHead"]
