"""Save and load feature tables: ``.parquet`` (path + vector columns) or ``.npy`` (+
``.meta.json``).

>>> vectors = np.eye(2, 3, dtype=np.float32)  # one row per image
>>> save_features("features.parquet", ["a.jpg", "b.jpg"], vectors, {"name": "hog", "dim": 3})
[PosixPath('features.parquet')]
>>> paths, vectors, meta = load_features("features.parquet")
>>> paths, vectors.shape, meta["extractor"]["name"]
(['a.jpg', 'b.jpg'], (2, 3), 'hog')

Writes are atomic: a temporary file in the same folder is renamed over the target.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from foveal.errors import ConfigError, FovealError
from foveal.utils.files import atomic_path

FORMATS = (".parquet", ".npy")


def meta_path(npy: str | os.PathLike) -> Path:
    p = Path(npy)
    return p.with_name(p.stem + ".meta.json")


def check_format(path: str | os.PathLike) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ConfigError(
            f"--out {path}: unknown format {suffix or '(none)'}; use a .parquet or .npy file name"
        )
    return suffix


def save_features(
    path: str | os.PathLike, paths: Sequence[str], vectors: np.ndarray, extractor: dict[str, Any]
) -> list[Path]:
    """Write the table; returns the files written."""
    suffix = check_format(path)
    vectors = np.asarray(vectors, np.float32).reshape(len(paths), -1)
    meta = {"extractor": extractor, "count": len(paths), "dim": int(vectors.shape[1])}
    if suffix == ".npy":
        with atomic_path(path, suffix=".npy") as tmp:
            np.save(tmp, vectors)
        with atomic_path(meta_path(path)) as tmp:
            tmp.write_text(json.dumps({**meta, "paths": list(paths)}, indent=1))
        return [Path(path), meta_path(path)]
    import pyarrow as pa
    import pyarrow.parquet as pq

    dim = vectors.shape[1]
    column = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), pa.float32()), dim)
    table = pa.table({"path": pa.array(list(paths), pa.string()), "vector": column})
    table = table.replace_schema_metadata({"foveal": json.dumps(meta)})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return [Path(path)]


def load_features(path: str | os.PathLike) -> tuple[list[str], np.ndarray, dict[str, Any]]:
    """``(paths, vectors (N, D) float32, metadata)`` of a table written by :func:`save_features`."""
    suffix = check_format(path)
    if suffix == ".npy":
        mp = meta_path(path)
        if not mp.is_file():
            raise FovealError(
                f"{path} has no {mp.name} next to it; it was not written by foveal embed"
            )
        meta = json.loads(mp.read_text())
        return list(meta.pop("paths")), np.load(path), meta
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    raw = (table.schema.metadata or {}).get(b"foveal")
    meta = json.loads(raw) if raw else {}
    vec = table.column("vector").combine_chunks()
    dim = vec.type.list_size
    vectors = vec.flatten().to_numpy().astype(np.float32).reshape(-1, dim)
    return table.column("path").to_pylist(), vectors, meta
