"""``foveal analyze``: every task over many images and videos, streaming, resumable.

Every task on a folder of photos, with an HTML report (minutes on CPU, so not run here; see
:mod:`foveal.analyze.run` for a small example that runs)::

    from foveal.analyze import AnalyzeConfig, run_analyze
    run_analyze(AnalyzeConfig(inputs=["photos/"], tasks="all", out="out", html=True))

Modules: :mod:`~foveal.analyze.tasks` (task name -> verb), :mod:`~foveal.analyze.sources` (files,
folders, videos), :mod:`~foveal.analyze.pipeline` (decode in threads, batch, run),
:mod:`~foveal.analyze.records` (JSON lines / CSV), :mod:`~foveal.analyze.report` (HTML),
:mod:`~foveal.analyze.xmp` (metadata), :mod:`~foveal.analyze.ray_engine` (Ray Data).
"""

from __future__ import annotations

from typing import Any

__all__ = ["AnalyzeConfig", "run_analyze"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from foveal.analyze import run

        return getattr(run, name)
    raise AttributeError(name)
