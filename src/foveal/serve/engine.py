"""The service's settings, and the engine that decodes uploads and runs tasks in a bounded pool.

>>> ServeSettings().allowed_hosts
['localhost', '*.localhost', '127.0.0.1', '::1']
"""

from __future__ import annotations

import asyncio
import io
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from foveal.errors import ConfigError, ImageError
from foveal.serve.guard import DEFAULT_HOSTS
from foveal.serve.limits import ApiError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000


@dataclass
class ServeSettings:
    """Service limits and options (``foveal serve --help``)."""

    token: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    timeout_s: float = 30.0
    workers: int = 2
    preload: list[str] = field(default_factory=list)
    models: list[str] | None = None
    """Models a request may name (zoo names, model files); ``None``: each task's zoo default."""
    allowed_hosts: list[str] = field(default_factory=lambda: list(DEFAULT_HOSTS))
    """``Host`` names answered (``*.suffix``, ``*`` for any); default: this machine's names."""

    @classmethod
    def from_env(cls, **kw: Any) -> ServeSettings:
        """Settings with the token from ``FOVEAL_API_TOKEN`` unless given."""
        if kw.get("token") is None:
            kw["token"] = os.environ.get("FOVEAL_API_TOKEN") or None
        return cls(**kw)


class Engine:
    """Runs tasks in a bounded thread pool; each predictor loads once (first use), then is
    shared."""

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.pool = ThreadPoolExecutor(
            max_workers=max(1, settings.workers), thread_name_prefix="foveal-serve"
        )

    def too_large(self, size: str) -> ApiError:
        return ApiError(
            413,
            f"the image is {size}, over this service's limit of "
            f"{self.settings.max_pixels:,} pixels; send a smaller image",
        )

    def decode(self, data: bytes) -> np.ndarray:
        from PIL import Image, UnidentifiedImageError

        from foveal.io import load_image

        if not data:
            raise ApiError(
                400, "the uploaded file is empty (0 bytes); expected an image (JPEG, PNG, ...)"
            )
        try:  # the header only: its size decides before any pixel is decoded
            with Image.open(io.BytesIO(data)) as im:
                w, h = im.size
        except Image.DecompressionBombError as exc:  # Pillow's own limit, far over ours
            raise self.too_large("larger than Pillow's decompression-bomb limit") from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ApiError(
                415,
                "the upload is not an image foveal can read (JPEG, PNG, TIFF, BMP, GIF, WebP)",
            ) from exc
        if w * h > self.settings.max_pixels:
            raise self.too_large(f"{w}x{h} = {w * h:,} pixels")
        try:
            return load_image(data, max_pixels=self.settings.max_pixels)
        except ImageError as exc:
            if getattr(exc, "too_large", False) or "over the limit" in str(exc):
                raise self.too_large("too large to decode") from exc
            raise ApiError(400, str(exc).replace(f"<{len(data)} bytes>", "the upload")) from exc

    def _run(
        self, data: bytes, tasks: list[str], opts: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        from foveal.analyze.pipeline import analyze_images
        from foveal.analyze.tasks import load_runners

        image = self.decode(data)
        try:
            runners = load_runners(tasks, opts)  # each predictor loads once, under the table's lock
        except ConfigError as exc:
            raise ApiError(422, str(exc)) from exc
        rec = analyze_images([image], runners)[0]  # each request is analysed once
        for t in tasks:
            if "error" in rec[t]:
                raise ApiError(422, f"{t}: {rec[t]['error']}")
        return rec

    async def run(
        self, data: bytes, tasks: list[str], opts: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(self.pool, self._run, data, tasks, opts)
        try:
            return await asyncio.wait_for(fut, self.settings.timeout_s)
        except TimeoutError:
            raise ApiError(
                504, f"the request took longer than the {self.settings.timeout_s:g} s limit"
            ) from None
