"""Shared fixtures for the tests and the docstring examples of ``src/foveal``: real data from
../shared and scikit-image, an isolated foveal cache, ``np`` and ``foveal`` in every doctest."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("FOVEAL_SHARED", ROOT.parent / "shared")).resolve()

# Tests run offline, find download-only weights in ../shared/weights, and never touch ~/.cache.
os.environ.setdefault("FOVEAL_WEIGHTS_PATH", str(SHARED / "weights"))
os.environ["FOVEAL_OFFLINE"] = "1"


@pytest.fixture(scope="session", autouse=True)
def _foveal_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("foveal_home")
    os.environ["FOVEAL_HOME"] = str(home)
    return home


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"shared data folder {SHARED} is missing (set FOVEAL_SHARED)")
    return SHARED


@pytest.fixture(scope="session")
def photos() -> dict[str, Path]:
    from foveal.samples import sample_photos

    return sample_photos()


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace: dict[str, Any]) -> None:
    import foveal

    doctest_namespace["np"] = np
    doctest_namespace["foveal"] = foveal
