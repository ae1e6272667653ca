"""Exceptions raised by foveal. Every message says what was received, what was expected, and how to
fix it."""

from __future__ import annotations


class FovealError(Exception):
    """Base class of every error foveal raises on purpose."""


class ImageError(FovealError, ValueError):
    """An image could not be read or decoded (corrupt, truncated, empty, not an image, too
    large).

    Attributes:
        source: the input's name (a path, ``"<123 bytes>"`` ...), if known.
        too_large: ``True`` when the input was refused for its size (over the pixel limit, a
            decompression bomb): the HTTP service answers 413 for those, 422 for the others.
    """

    def __init__(self, message: str, source: str | None = None, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.source = source
        self.too_large = too_large


class WeightsNotFoundError(FovealError, FileNotFoundError):
    """A pretrained weights file is not available locally and may not be downloaded."""


class ChecksumError(FovealError):
    """A weights file does not have the sha256 the zoo expects."""


class UnknownModelError(FovealError, KeyError):
    """A model name is not in the zoo registry."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class ConfigError(FovealError, ValueError):
    """An option or argument has a value foveal does not accept."""


class ExportError(FovealError):
    """ONNX export failed or the exported model disagrees with PyTorch."""


class ModelFileError(FovealError, ValueError):
    """A model file (ONNX, weights, run folder) is missing, unreadable, or of the wrong task."""
